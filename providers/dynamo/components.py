"""The `services` of a DynamoGraphDeployment: Frontend or Endpoint Picker, and the workers (§3.4).

Gateway mode renders `Epp` and gives every worker a `frontendSidecar`; otherwise a `Frontend`
routes to the workers. Worker keys are `VllmWorker`, `VllmPrefillWorker` and `VllmDecodeWorker`
for every engine (upstream). Pure.
"""

from __future__ import annotations

from typing import Any, Final

from airunway_operator.sdk import (
    ComponentScalingSpec,
    EngineType,
    ModelDeployment,
    StorageVolume,
    VolumePurpose,
)
from airunway_operator.sdk import effective as defaults
from providers import common, workloads
from providers.dynamo import engine as engines
from providers.dynamo import epp
from providers.dynamo.overrides import TypedOverrides

FRONTEND: Final = "Frontend"
EPP: Final = "Epp"
WORKER: Final = "VllmWorker"
PREFILL_WORKER: Final = "VllmPrefillWorker"
DECODE_WORKER: Final = "VllmDecodeWorker"

FRONTEND_REQUESTS: Final = {"cpu": "2", "memory": "4Gi"}
MOCKER_REQUESTS: Final = {"cpu": "100m", "memory": "256Mi"}
DEFAULT_ROUTER_MODE: Final = "round-robin"
NIXL_HOST_ENV: Final = "VLLM_NIXL_SIDE_CHANNEL_HOST"


def frontend(md: ModelDeployment, image: str, typed: TypedOverrides, mocker: bool) -> dict[str, Any]:
    """The Frontend of the no-gateway graph: router mode and sizing from the typed overrides."""
    requests = dict(MOCKER_REQUESTS if mocker else FRONTEND_REQUESTS)
    if typed.frontend_cpu:
        requests["cpu"] = typed.frontend_cpu
    if typed.frontend_memory:
        requests["memory"] = typed.frontend_memory
    router_mode = typed.router_mode or DEFAULT_ROUTER_MODE
    service: dict[str, Any] = {
        "componentType": "frontend",
        "replicas": typed.frontend_replicas if typed.frontend_replicas is not None else 1,
        "resources": {"requests": requests},
        "extraPodSpec": {
            "mainContainer": {"image": image, "env": [{"name": "DYN_ROUTER_MODE", "value": router_mode}]}
        },
    }
    return _with_secret(service, md)


def endpoint_picker(disaggregated: bool, typed: TypedOverrides, version: str) -> dict[str, Any]:
    """The Endpoint Picker of the gateway graph (its env follows upstream's code, D9)."""
    env = [
        {"name": "DYN_DECODE_FALLBACK", "value": "false" if disaggregated else "true"},
        {"name": "DYN_ENFORCE_DISAGG", "value": "true" if disaggregated else "false"},
    ]
    return {
        "componentType": "epp",
        "replicas": typed.epp_replicas if typed.epp_replicas is not None else 1,
        "extraPodSpec": {
            "mainContainer": {
                "image": typed.epp_image or engines.image(engines.EPP_IMAGE, version),
                "env": env,
            }
        },
        "eppConfig": {"config": epp.config(disaggregated)},
    }


def aggregated_worker(
    md: ModelDeployment, engine: EngineType, image: str, mocker: bool, sidecar: dict[str, Any] | None
) -> dict[str, Any]:
    """`VllmWorker`: `scaling.replicas` (0 → 1), GPUs, memory and cpu from `spec.resources`."""
    resources = md.spec.resources
    sizing = _resources(
        common.gpu_count(md),
        resources.memory if resources is not None else None,
        resources.cpu if resources is not None else None,
    )
    worker = {"componentType": "worker", "replicas": common.replicas(md)}
    return _worker(md, engine, image, mocker, None, worker, sizing, sidecar)


def pool_worker(
    md: ModelDeployment,
    engine: EngineType,
    image: str,
    mocker: bool,
    role: str,
    pool: ComponentScalingSpec,
    sidecar: dict[str, Any] | None,
) -> dict[str, Any]:
    """A prefill or decode worker: the pool's replicas verbatim (0 allowed), GPUs and memory."""
    gpus = pool.gpu.count if pool.gpu is not None else 0
    worker = {"componentType": "worker", "subComponentType": role, "replicas": pool.replicas}
    return _worker(md, engine, image, mocker, role, worker, _resources(gpus, pool.memory, None), sidecar)


def _worker(
    md: ModelDeployment,
    engine: EngineType,
    image: str,
    mocker: bool,
    role: str | None,
    worker: dict[str, Any],
    sizing: dict[str, Any] | None,
    sidecar: dict[str, Any] | None,
) -> dict[str, Any]:
    if mocker:
        sizing = {"limits": dict(MOCKER_REQUESTS), "requests": dict(MOCKER_REQUESTS)}
    if sizing:
        worker["resources"] = sizing
    worker["extraPodSpec"] = _pod_spec(md, engine, image, mocker, role)
    mounts = volume_mounts(md)
    if mounts:
        worker["volumeMounts"] = mounts
    worker = _with_secret(worker, md)
    if sidecar is not None:
        worker["frontendSidecar"] = sidecar
    return worker


def _pod_spec(
    md: ModelDeployment, engine: EngineType, image: str, mocker: bool, role: str | None
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "image": image,
        "command": engines.command(engine, mocker),
        "args": engines.worker_args(md, engine, mocker, role),
    }
    env = worker_env(md, nixl=role is not None and engine is EngineType.VLLM)
    if env:
        container["env"] = env
    pod: dict[str, Any] = {"mainContainer": container}
    if md.spec.node_selector:
        pod["nodeSelector"] = dict(md.spec.node_selector)
    tolerations = common.tolerations(md)
    if tolerations:
        pod["tolerations"] = tolerations
    return pod


def frontend_sidecar(md: ModelDeployment, disaggregated: bool, version: str) -> dict[str, Any]:
    """The per-worker frontend of gateway mode: always the vLLM runtime image (upstream)."""
    args = ["-m", "dynamo.frontend", *([] if disaggregated else ["--router-mode", "direct"])]
    sidecar: dict[str, Any] = {"image": engines.runtime_image(EngineType.VLLM, version), "args": args}
    return _with_secret(sidecar, md)


def worker_env(md: ModelDeployment, nixl: bool) -> list[dict[str, Any]]:
    """HF_HOME (first modelCache volume), the NIXL side-channel host for disaggregated vLLM, then
    `spec.env` (D3). The HF token reaches the pod through `envFromSecret`, so no HF_TOKEN entry."""
    user = {var.name for var in md.spec.env or ()}
    derived = list(workloads.hf_home_env(md))
    if nixl and NIXL_HOST_ENV not in user:
        derived.append({"name": NIXL_HOST_ENV, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    secret = md.spec.secrets.hugging_face_token if md.spec.secrets is not None else None
    listed = [item for item in common.env(md) if not (secret and item["name"] == common.HF_TOKEN)]
    return [*derived, *listed]


def volumes(md: ModelDeployment) -> list[StorageVolume]:
    """`model.storage.volumes` with upstream's defaults applied (mount paths, derived claim names)."""
    storage = md.spec.model.storage
    raw = storage.volumes if storage is not None else None
    return [defaults.effective_volume(volume, md.metadata.name or "") for volume in raw or ()]


def claim_name(md: ModelDeployment, volume: StorageVolume) -> str:
    return volume.claim_name or defaults.derived_claim_name(md.metadata.name or "", volume.name)


def volume_mounts(md: ModelDeployment) -> list[dict[str, Any]]:
    """`{name: <claim>, mountPoint, useAsCompilationCache}` per volume with a path. No `readOnly`:
    the DGD schema has none (D7). `useAsCompilationCache: false` is written out because the
    schema defaults it, so the live spec equals the desired one (no update on every pass)."""
    mounts = []
    for volume in volumes(md):
        if not volume.mount_path:
            continue
        mounts.append(
            {
                "name": claim_name(md, volume),
                "mountPoint": volume.mount_path,
                "useAsCompilationCache": volume.purpose is VolumePurpose.COMPILATION_CACHE,
            }
        )
    return mounts


def _resources(gpus: int, memory: str | None, cpu: str | None) -> dict[str, Any] | None:
    """Limits `gpu` (as a string), `memory`, `cpu`; requests `gpu` only; None when empty."""
    limits: dict[str, str] = {}
    if gpus > 0:
        limits["gpu"] = str(gpus)
    if memory:
        limits["memory"] = memory
    if cpu:
        limits["cpu"] = cpu
    result: dict[str, Any] = {}
    if limits:
        result["limits"] = limits
    if gpus > 0:
        result["requests"] = {"gpu": str(gpus)}
    return result or None


def _with_secret(service: dict[str, Any], md: ModelDeployment) -> dict[str, Any]:
    secret = md.spec.secrets.hugging_face_token if md.spec.secrets is not None else None
    return {**service, "envFromSecret": secret} if secret else service
