"""Which ModelDeployments llm-d can serve (SPEC-providers §5.3), and what it accepts but cannot use
(admission warnings, D3). Pure.

The messages are upstream's, byte for byte (upstream `providers/llmd/controller.go`
`validateCompatibility`). In aggregated mode the GPU check reads the effective GPU count, with
upstream's admission default (one GPU for an explicit non-llamacpp engine without
`spec.resources`) applied virtually, as Direct vLLM does.
"""

from __future__ import annotations

from typing import Final

from airunway_operator.sdk import ComponentScalingSpec, EngineType, ModelDeployment, ServingMode, constants
from airunway_operator.sdk import effective as defaults
from providers import common, workloads

PREFILL_REQUIRED: Final = "spec.scaling.prefill is required for disaggregated serving mode"
DECODE_REQUIRED: Final = "spec.scaling.decode is required for disaggregated serving mode"
NO_PREFILL_GPU: Final = (
    "llm-d provider requires GPU resources for prefill (spec.scaling.prefill.gpu.count > 0)"
)
NO_DECODE_GPU: Final = "llm-d provider requires GPU resources for decode (spec.scaling.decode.gpu.count > 0)"
NO_GPU: Final = "llm-d provider requires GPU resources (spec.resources.gpu.count > 0)"


def check(md: ModelDeployment, engine: EngineType) -> str | None:
    """None when llm-d can serve `md` with `engine`, else upstream's message (first problem wins)."""
    if engine is not EngineType.VLLM:
        return f"llm-d provider only supports vllm engine, got {engine.value}"
    if defaults.serving_mode(md.spec) is ServingMode.DISAGGREGATED:
        return _disaggregated_problem(md)
    if common.gpu_count(md) <= 0:
        return NO_GPU
    return None


def _disaggregated_problem(md: ModelDeployment) -> str | None:
    scaling = md.spec.scaling
    if scaling is None or scaling.prefill is None:
        return PREFILL_REQUIRED
    if scaling.decode is None:
        return DECODE_REQUIRED
    if component_gpus(scaling.prefill) <= 0:
        return NO_PREFILL_GPU
    if component_gpus(scaling.decode) <= 0:
        return NO_DECODE_GPU
    return None


def component_gpus(component: ComponentScalingSpec) -> int:
    return component.gpu.count if component.gpu is not None else 0


def warnings(md: ModelDeployment) -> list[str]:
    """Fields llm-d accepts but does not honour (upstream ignores them silently)."""
    return [*_gpu_type_warnings(md), *_aggregated_resources_warnings(md)]


def _gpu_type_warnings(md: ModelDeployment) -> list[str]:
    scaling = md.spec.scaling
    gpus = {
        "spec.resources.gpu.type": md.spec.resources.gpu if md.spec.resources is not None else None,
        "spec.scaling.prefill.gpu.type": scaling.prefill.gpu if scaling and scaling.prefill else None,
        "spec.scaling.decode.gpu.type": scaling.decode.gpu if scaling and scaling.decode else None,
    }
    return [
        f"{path} {gpu.type!r} is ignored by provider 'llmd', which always requests "
        f"{workloads.GPU_RESOURCE}; remove the field, or choose a provider that honours it (kuberay)"
        for path, gpu in gpus.items()
        if gpu is not None and gpu.type not in ("", constants.DEFAULT_GPU_TYPE)
    ]


def _aggregated_resources_warnings(md: ModelDeployment) -> list[str]:
    """In disaggregated mode each pool is sized by `scaling.prefill` / `scaling.decode` alone."""
    resources = md.spec.resources
    if resources is None or defaults.serving_mode(md.spec) is not ServingMode.DISAGGREGATED:
        return []
    found: list[str] = []
    if resources.memory:
        found.append(
            "spec.resources.memory is ignored by provider 'llmd' in disaggregated serving mode; set "
            "spec.scaling.prefill.memory and spec.scaling.decode.memory instead"
        )
    if resources.cpu:
        found.append(
            "spec.resources.cpu is ignored by provider 'llmd' in disaggregated serving mode, whose "
            "pools request no CPU; remove the field"
        )
    return found
