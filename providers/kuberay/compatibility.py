"""Which ModelDeployments KubeRay can serve (§4.2), and what it accepts but cannot use (§7, D3/D4).

`check` returns upstream's exact message (upstream `providers/kuberay/controller.go`
`validateCompatibility`). The aggregated GPU check reads the effective GPU count, so the admission
default of one GPU for an explicit vLLM engine counts (`common.gpu_count`); in disaggregated mode
the prefill component's GPUs also count, as upstream. `admission_warnings` names every field a
KubeRay deployment sets that the RayService render ignores: upstream ignores them silently, so
they are accepted (never rejected) with a warning naming the provider and the field. Pure.
"""

from __future__ import annotations

from typing import Final

from airunway_operator.sdk import EngineType, ModelDeployment, ServingMode
from airunway_operator.sdk import effective as defaults
from providers import common

NO_GPU: Final = "KubeRay requires GPU (set resources.gpu.count > 0)"
_BY_PROVIDER: Final = "is ignored by provider kuberay"


def check(md: ModelDeployment, engine: EngineType) -> str | None:
    """None when KubeRay can serve `md` with the resolved `engine`, else upstream's message."""
    if engine is not EngineType.VLLM:
        return f"KubeRay only supports vllm engine, got {engine.value}"
    if not has_gpu(md):
        return NO_GPU
    return None


def has_gpu(md: ModelDeployment) -> bool:
    """GPUs in `resources` (admission default included), or on prefill when disaggregated."""
    if common.gpu_count(md) > 0:
        return True
    if defaults.serving_mode(md.spec) is not ServingMode.DISAGGREGATED or md.spec.scaling is None:
        return False
    prefill = md.spec.scaling.prefill
    return prefill is not None and prefill.gpu is not None and prefill.gpu.count > 0


def admission_warnings(md: ModelDeployment) -> list[str]:
    """One warning per ignored field, in spec field order."""
    return [*_storage_warning(md), *_engine_warnings(md), *_resource_warnings(md), *_placement_warnings(md)]


def _storage_warning(md: ModelDeployment) -> list[str]:
    storage = md.spec.model.storage
    if storage is None or not storage.volumes:
        return []
    return [
        f"spec.model.storage {_BY_PROVIDER}: the RayService mounts no volumes and no claims are "
        "created for it, so the model is downloaded into each pod; remove it or choose another "
        "provider (dynamo, llmd or vllm)"
    ]


def _engine_warnings(md: ModelDeployment) -> list[str]:
    engine = md.spec.engine
    if engine is None:
        return []
    ignored = [
        ("enablePrefixCaching", "false", not engine.enable_prefix_caching, "no-enable-prefix-caching"),
        ("enforceEager", "true", engine.enforce_eager, "enforce-eager"),
    ]
    return [
        f"spec.engine.{field} {value} {_BY_PROVIDER}, which does not pass it to vLLM; add "
        f"--{flag} to spec.engine.extraArgs instead"
        for field, value, is_set, flag in ignored
        if is_set
    ]


def _resource_warnings(md: ModelDeployment) -> list[str]:
    resources = md.spec.resources
    if resources is None or not resources.cpu:
        return []
    return [
        f"spec.resources.cpu {_BY_PROVIDER}: the Ray head is always limited to 4 CPUs and workers get "
        "no CPU limit; remove it or choose another provider (dynamo, llmd or vllm)"
    ]


def _placement_warnings(md: ModelDeployment) -> list[str]:
    fields = [("nodeSelector", bool(md.spec.node_selector)), ("tolerations", bool(md.spec.tolerations))]
    return [
        f"spec.{field} {_BY_PROVIDER}: the Ray head and worker pods are placed without it; remove it "
        "or choose another provider (dynamo, llmd or vllm)"
        for field, is_set in fields
        if is_set
    ]
