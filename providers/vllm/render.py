"""Direct vLLM targets: Deployment `<md>` (primary) and Service `<md>` (SPEC-providers §6.4, §5.4).

The vLLM OpenAI server on `0.0.0.0:8000` with health probes, `/dev/shm` for tensor parallelism,
storage volumes (D4), env, placement and resources; `spec.provider.overrides` merged into the
Deployment only. Mirrors upstream `providers/vllm/transformer.go` (aggregated path; the
disaggregated path is unreachable upstream and not ported). Pure and deterministic.
"""

from __future__ import annotations

from typing import Any, Final

from airunway_operator.sdk import ModelDeployment, check_args
from providers import common, workloads
from providers.base import Manifest, RenderContext
from providers.vllm import image

CONTAINER: Final = "vllm"
HOST: Final = "0.0.0.0"
HEALTH_PATH: Final = "/health"
SHM_VOLUME: Final = "shm"
SHM_SIZE: Final = "20Gi"
RESERVED_FLAGS: Final = frozenset({"host", "port"})
PREFIX_CACHING_KEYS: Final = frozenset({"enable-prefix-caching", "no-enable-prefix-caching"})
_NETWORKING: Final = (
    f"conflicts with Direct vLLM generated networking; Direct vLLM currently requires host {HOST} "
    f"and port {workloads.HTTP_PORT} to keep the container, Service, and probes aligned"
)


def render(md: ModelDeployment, context: RenderContext) -> list[Manifest]:
    """`[Deployment, Service]`, both named after the ModelDeployment; raises RenderError. The
    claims the pod mounts are created by the runtime's shared storage pipeline (D4)."""
    name = md.metadata.name or ""
    pod_spec = _pod_spec(md, context)
    deployment = workloads.render_deployment(md, context.engine, name, common.replicas(md), pod_spec)
    service = workloads.render_service(md, context.engine, name)
    return [common.apply_overrides(deployment, md), service]


def pod_image(md: ModelDeployment, context: RenderContext) -> str:
    """A user image verbatim; else the pre-step's choice; else the resolved image recorded in
    status; else the default tag."""
    recorded = md.status.image.resolved if md.status is not None and md.status.image is not None else None
    return image.user_image(md) or context.image or (recorded or "").strip() or image.DEFAULT_IMAGE


def build_args(md: ModelDeployment) -> list[str]:
    """`--host 0.0.0.0 --port 8000`, the derived flags a user flag does not replace, sorted
    `engine.args`, then `extraArgs` verbatim."""
    _reject_reserved(md)
    duplicates = check_args(md.spec)
    if duplicates:
        raise common.RenderError(duplicates[0].message)
    explicit = common.explicit_arg_keys(md)
    args = ["--host", HOST, "--port", str(workloads.HTTP_PORT)]
    for keys, tokens in _derived_flags(md):
        if explicit.isdisjoint(keys):
            args += tokens
    return [*args, *common.engine_arg_tokens(md), *common.extra_args(md)]


def _derived_flags(md: ModelDeployment) -> list[tuple[frozenset[str], list[str]]]:
    """(flag keys, tokens) in upstream's order; each is dropped when the user sets one of its keys
    (D23: an explicit user flag wins, so vLLM never sees the same flag twice)."""
    model, engine = md.spec.model, md.spec.engine
    gpus = common.gpu_count(md)
    flags: list[tuple[frozenset[str], list[str]]] = []
    if model.id:
        flags.append((frozenset({"model"}), ["--model", model.id]))
    if model.served_name:
        flags.append((frozenset({"served-model-name"}), ["--served-model-name", model.served_name]))
    if engine is not None and engine.context_length is not None:
        flags.append((frozenset({"max-model-len"}), ["--max-model-len", str(engine.context_length)]))
    if engine is not None and engine.trust_remote_code:
        flags.append((frozenset({"trust-remote-code"}), ["--trust-remote-code"]))
    if engine is not None and engine.enforce_eager:
        flags.append((frozenset({"enforce-eager"}), ["--enforce-eager"]))
    # Absent `spec.engine` gets no CRD default, so prefix caching is then off (as upstream). The
    # negative form also counts as the user's choice (newer upstream does the same).
    if engine is not None and engine.enable_prefix_caching:
        flags.append((PREFIX_CACHING_KEYS, ["--enable-prefix-caching"]))
    if gpus > 1:
        flags.append((frozenset({"tensor-parallel-size"}), ["--tensor-parallel-size", str(gpus)]))
    return flags


def _reject_reserved(md: ModelDeployment) -> None:
    engine = md.spec.engine
    if engine is None:
        return
    for key in sorted(engine.args or {}):
        if key.strip().lstrip("-").split("=", 1)[0].strip() in RESERVED_FLAGS:
            raise common.RenderError(f"engine arg {common.go_quote(key)} {_NETWORKING}")
    for token in engine.extra_args or ():
        if common.extra_arg_key(token) in RESERVED_FLAGS:
            raise common.RenderError(f"engine extraArg {common.go_quote(token)} {_NETWORKING}")


def _pod_spec(md: ModelDeployment, context: RenderContext) -> dict[str, Any]:
    shm = common.gpu_count(md) > 1
    pod_spec: dict[str, Any] = {"containers": [_container(md, context, shm)]}
    volumes = [*([_shm_volume()] if shm else []), *workloads.storage_volumes(md)]
    if volumes:
        pod_spec["volumes"] = volumes
    if md.spec.node_selector:
        pod_spec["nodeSelector"] = dict(md.spec.node_selector)
    tolerations = common.tolerations(md)
    if tolerations:
        pod_spec["tolerations"] = tolerations
    return pod_spec


def _container(md: ModelDeployment, context: RenderContext, shm: bool) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": pod_image(md, context),
        "args": build_args(md),
        "ports": workloads.container_ports(),
        "startupProbe": _probe(period=10, failures=60),
        "livenessProbe": _probe(period=10, failures=3),
        "readinessProbe": _probe(period=5, failures=3),
    }
    mounts = [
        *([{"name": SHM_VOLUME, "mountPath": "/dev/shm"}] if shm else []),
        *workloads.storage_mounts(md),
    ]
    if mounts:
        container["volumeMounts"] = mounts
    resources = workloads.aggregated_resources(md)
    if resources:
        container["resources"] = resources
    env = workloads.container_env(md)
    if env:
        container["env"] = env
    return container


def _probe(period: int, failures: int) -> dict[str, Any]:
    return {
        "initialDelaySeconds": 15,
        "periodSeconds": period,
        "failureThreshold": failures,
        "httpGet": {"path": HEALTH_PATH, "port": workloads.HTTP_PORT},
    }


def _shm_volume() -> dict[str, Any]:
    return {"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": SHM_SIZE}}
