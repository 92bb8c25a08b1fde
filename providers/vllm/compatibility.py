"""Which ModelDeployments Direct vLLM can serve (SPEC-providers §6.2), and what it accepts but
cannot use (admission warnings, D3). Pure.

The messages are upstream's, byte for byte (upstream `providers/vllm/controller.go`
`validateCompatibility`). The GPU check reads the effective GPU count: upstream's admission
defaulting gives one GPU to an aggregated deployment with an explicit non-llamacpp engine and no
`spec.resources`, and we apply that default virtually (`common.gpu_count`).
"""

from __future__ import annotations

from typing import Final

from airunway_operator.sdk import EngineType, ModelDeployment, ServingMode, constants
from airunway_operator.sdk import effective as defaults
from providers import common, workloads

DISAGGREGATED: Final = (
    "vLLM provider does not support disaggregated serving mode; use spec.serving.mode: aggregated"
)
NO_GPU: Final = "vLLM provider requires GPU resources (spec.resources.gpu.count > 0)"


def check(md: ModelDeployment, engine: EngineType) -> str | None:
    """None when Direct vLLM can serve `md` with `engine`, else upstream's message."""
    if engine is not EngineType.VLLM:
        return f"vLLM provider only supports vllm engine, got {engine.value}"
    if defaults.serving_mode(md.spec) is ServingMode.DISAGGREGATED:
        return DISAGGREGATED
    if common.gpu_count(md) <= 0:
        return NO_GPU
    return None


def warnings(md: ModelDeployment) -> list[str]:
    """Fields Direct vLLM accepts but does not honour (upstream ignores them silently)."""
    return [*_gpu_type_warning(md), *_prefix_caching_warning(md)]


def _gpu_type_warning(md: ModelDeployment) -> list[str]:
    gpu = md.spec.resources.gpu if md.spec.resources is not None else None
    if gpu is None or gpu.type in ("", constants.DEFAULT_GPU_TYPE):
        return []
    return [
        f"spec.resources.gpu.type {gpu.type!r} is ignored by provider 'vllm', which always requests "
        f"{workloads.GPU_RESOURCE}; remove the field, or choose a provider that honours it (kuberay)"
    ]


def _prefix_caching_warning(md: ModelDeployment) -> list[str]:
    engine = md.spec.engine
    if engine is None or engine.enable_prefix_caching:
        return []
    if not common.explicit_arg_keys(md).isdisjoint(("enable-prefix-caching", "no-enable-prefix-caching")):
        return []
    return [
        "spec.engine.enablePrefixCaching false is ignored by provider 'vllm', which only passes "
        "--enable-prefix-caching when true, so vLLM's own default applies; add "
        "--no-enable-prefix-caching to spec.engine.extraArgs to turn prefix caching off"
    ]
