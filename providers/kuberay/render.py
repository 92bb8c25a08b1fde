"""ModelDeployment → one KubeRay `RayService` (ray.io/v1), the primary and only target (§4.3).

A Ray Serve application (`spec.serveConfigV2`, a YAML string) on a Ray cluster of one head and
one GPU worker group (aggregated) or a prefill and a decode group (disaggregated). vLLM reads its
flags from `VLLM_ENGINE_ARGS` in the pods. Objects must stay valid for the pinned KubeRay chart
1.3.0 (D7): `rayStartParams` is always present, and no field added after 1.3.0 is used. Overrides
are deep-merged last (D3). Mirrors upstream `providers/kuberay/transformer.go`; the differences are
decisions D2, D3 and D14. Pure and deterministic.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from airunway_operator.sdk import ComponentScalingSpec, EngineType, ModelDeployment, ServingMode, constants
from airunway_operator.sdk import effective as defaults
from providers import common
from providers.base import Manifest, RenderContext, TargetKind

RAY_SERVICE: Final = TargetKind("ray.io/v1", "RayService", "rayservices", delete_on_finalize=True)

DEFAULT_IMAGE: Final = "rayproject/ray-llm:2.55.0-py311-cu128"
HEAD_CPU: Final = "4"
HEAD_MEMORY: Final = "16Gi"
WORKER_MEMORY: Final = "32Gi"
HEAD_CONTAINER: Final = "ray-head"
WORKER_CONTAINER: Final = "ray-worker"
AGGREGATED_GROUP: Final = "gpu-workers"
PREFILL_GROUP: Final = "prefill-workers"
DECODE_GROUP: Final = "decode-workers"
MODEL_ID_ENV: Final = "MODEL_ID"
ENGINE_ARGS_ENV: Final = "VLLM_ENGINE_ARGS"

# The serve application upstream deploys: `vllm_serve:deployment` must exist in the image (replace
# spec.serveConfigV2 through overrides to run another one).
_SERVE_CONFIG: Final = """applications:
  - name: llm
    route_prefix: /
    import_path: vllm_serve:deployment
    deployments:
      - name: VLLMDeployment
        num_replicas: {replicas}
"""


def render(md: ModelDeployment, context: RenderContext) -> list[Manifest]:
    """The RayService for `md`; raises RenderError (an invalid engine arg key, a blocked override)."""
    service: Manifest = {
        "apiVersion": RAY_SERVICE.api_version,
        "kind": RAY_SERVICE.kind,
        "metadata": _metadata(md, context.engine),
        "spec": {
            "serveConfigV2": serve_config(md),
            "rayClusterConfig": {
                "headGroupSpec": _head_group(md),
                "workerGroupSpecs": _worker_groups(md),
            },
        },
    }
    # Overrides may insert the MD's own (frozen) objects; the result must be ours to mutate.
    return [copy.deepcopy(common.apply_overrides(service, md))]


def serve_config(md: ModelDeployment) -> str:
    """The serve config YAML: one application `llm` with `num_replicas` from `scaling.replicas`."""
    return _SERVE_CONFIG.format(replicas=common.replicas(md))


def image(md: ModelDeployment) -> str:
    """`spec.engine.image`, else the legacy `spec.image`, else the Ray LLM image."""
    engine_image = md.spec.engine.image if md.spec.engine is not None else None
    return engine_image or md.spec.image or DEFAULT_IMAGE


def engine_args(md: ModelDeployment) -> str:
    """`VLLM_ENGINE_ARGS`: model, max-model-len, served name, trust-remote-code, sorted
    `engine.args` (keys validated, D3), then `extraArgs` (D3), joined by spaces."""
    engine = md.spec.engine
    args = ["--model", md.spec.model.id or ""]
    if engine is not None and engine.context_length is not None:
        args += ["--max-model-len", str(engine.context_length)]
    if md.spec.model.served_name:
        args += ["--served-model-name", md.spec.model.served_name]
    if engine is not None and engine.trust_remote_code:
        args.append("--trust-remote-code")
    return " ".join([*args, *common.engine_arg_tokens(md), *common.extra_args(md)])


def _metadata(md: ModelDeployment, engine: EngineType) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": md.metadata.name or "",
        "namespace": md.metadata.namespace or "",
        "labels": common.labels_with_user(md, common.managed_labels(md, engine)),
    }
    if annotations := common.user_annotations(md):
        metadata["annotations"] = annotations
    metadata["ownerReferences"] = [common.owner_reference(md)]
    return metadata


def _head_group(md: ModelDeployment) -> dict[str, Any]:
    env = [
        {"name": MODEL_ID_ENV, "value": md.spec.model.id or ""},
        {"name": ENGINE_ARGS_ENV, "value": engine_args(md)},
        *common.env(md),
    ]
    memory = (md.spec.resources.memory if md.spec.resources is not None else None) or HEAD_MEMORY
    container = {
        "name": HEAD_CONTAINER,
        "image": image(md),
        "resources": {"limits": {"cpu": HEAD_CPU, "memory": memory}},
        "env": env,
    }
    return {"rayStartParams": {"dashboard-host": "0.0.0.0"}, "template": _pod_template(md, container)}


def _worker_groups(md: ModelDeployment) -> list[dict[str, Any]]:
    if defaults.serving_mode(md.spec) is ServingMode.DISAGGREGATED:
        scaling = md.spec.scaling
        components = [
            (PREFILL_GROUP, scaling.prefill if scaling is not None else None),
            (DECODE_GROUP, scaling.decode if scaling is not None else None),
        ]
        return [_component_group(md, name, part) for name, part in components if part is not None]
    resources = md.spec.resources
    gpu_type = resources.gpu.type if resources is not None and resources.gpu is not None else ""
    limits = {"memory": (resources.memory if resources is not None else None) or WORKER_MEMORY}
    limits |= _gpu_limit(common.gpu_count(md), gpu_type)
    return [_worker_group(md, AGGREGATED_GROUP, common.replicas(md), limits)]


def _component_group(md: ModelDeployment, name: str, part: ComponentScalingSpec) -> dict[str, Any]:
    gpu = part.gpu
    limits = _gpu_limit(gpu.count, gpu.type) if gpu is not None else {}
    limits["memory"] = part.memory or WORKER_MEMORY
    return _worker_group(md, name, part.replicas, limits)


def _gpu_limit(count: int, gpu_type: str) -> dict[str, str]:
    """`{<type or nvidia.com/gpu>: "<count>"}`, empty without GPUs: the type is the resource key."""
    return {gpu_type or constants.DEFAULT_GPU_TYPE: str(count)} if count > 0 else {}


def _worker_group(md: ModelDeployment, name: str, replicas: int, limits: dict[str, str]) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": WORKER_CONTAINER,
        "image": image(md),
        "resources": {"limits": limits},
    }
    # Upstream gives workers no env; vLLM runs there, so they get the user's env and token too (D3).
    if env := common.env(md):
        container["env"] = env
    return {
        "groupName": name,
        "replicas": replicas,
        "minReplicas": replicas,
        "maxReplicas": replicas,
        # Required by the KubeRay 1.3.0 schema the install pins, even when empty (D7).
        "rayStartParams": {},
        "template": _pod_template(md, container),
    }


def _pod_template(md: ModelDeployment, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"labels": {common.MODEL_DEPLOYMENT_LABEL: md.metadata.name or ""}},
        "spec": {"containers": [container]},
    }
