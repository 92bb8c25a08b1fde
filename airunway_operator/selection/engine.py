"""Engine resolution for a ModelDeployment (SPEC-core §4.1, reconcile step 8).

An explicit `spec.engine.type` wins; an engine already recorded in `status.engine` is kept (an
auto-selected engine is sticky); otherwise the most preferred engine (vllm > sglang > trtllm >
llamacpp) that some ready provider offers for the deployment's hardware and serving mode is
chosen. Selection rules and `spec.provider.name` play no part: a mismatch with an explicit
provider is reported later by validation. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.selection import capabilities
from airunway_operator.selection.capabilities import Requirement, SelectionFailed
from airunway_operator.validation.compatibility import engines_of

EXPLICIT_REASON: Final = "explicit engine selection"
PREFERENCE: Final = (EngineType.VLLM, EngineType.SGLANG, EngineType.TRTLLM, EngineType.LLAMACPP)


class EngineSource(StrEnum):
    """Where the resolved engine comes from."""

    EXPLICIT = "explicit"  # spec.engine.type; recorded in status on every reconcile
    RECORDED = "recorded"  # status.engine.type from an earlier auto-selection; status unchanged
    AUTO = "auto"  # chosen now from the ready providers' capabilities


@dataclass(frozen=True)
class EngineSelected:
    """The resolved engine and the `status.engine.selectedReason` that goes with it."""

    engine: EngineType
    reason: str
    source: EngineSource
    provider: str | None = None
    """For AUTO: the provider whose capability offered the engine (informational only)."""


def select_engine(
    deployment: ModelDeployment, configs: Sequence[InferenceProviderConfig]
) -> EngineSelected | SelectionFailed:
    """Resolve the engine of `deployment` against every listed provider config (ready or not)."""
    spec = deployment.spec
    if spec.engine is not None and spec.engine.type is not None:
        return EngineSelected(spec.engine.type, EXPLICIT_REASON, EngineSource.EXPLICIT)
    recorded = deployment.status.engine if deployment.status is not None else None
    if recorded is not None and recorded.type is not None:
        return EngineSelected(recorded.type, recorded.selected_reason or "", EngineSource.RECORDED)
    if not configs:
        return SelectionFailed(capabilities.NO_PROVIDERS_REGISTERED)
    return auto_select(capabilities.requirement(spec), configs)


def auto_select(
    need: Requirement, configs: Sequence[InferenceProviderConfig]
) -> EngineSelected | SelectionFailed:
    """The most preferred engine some ready provider offers for `need`."""
    offers = offering_providers(need, configs)
    engine = next((engine for engine in PREFERENCE if engine in offers), None)
    if engine is None:
        return SelectionFailed(_nothing_offered(need, configs))
    reason = f"auto-selected from provider {offers[engine]} capabilities"
    return EngineSelected(engine, reason, EngineSource.AUTO, offers[engine])


def offering_providers(
    need: Requirement, configs: Sequence[InferenceProviderConfig]
) -> dict[EngineType, str]:
    """For each engine that fits `need`, the first ready provider (by name) offering it."""
    offers: dict[EngineType, str] = {}
    for config in capabilities.by_name(configs):
        if not capabilities.is_ready(config):
            continue
        for capability in engines_of(config) or ():
            if capabilities.capability_rejection(capability, need) is None:
                offers.setdefault(capability.name, capabilities.name_of(config))
    return offers


def _nothing_offered(need: Requirement, configs: Sequence[InferenceProviderConfig]) -> str:
    return (
        "no engines available from registered providers "
        f"(hasGPU={_go_bool(need.has_gpu)}, servingMode={need.mode.value}, advertised={_advertised(configs)})"
    )


def _advertised(configs: Sequence[InferenceProviderConfig]) -> str:
    """Ready providers with capabilities and the engines each declares, printed as Go's `%v` prints
    a `map[string][]EngineType`: `map[kaito:[vllm llamacpp] vllm:[vllm]]` (keys sorted)."""
    entries = {
        capabilities.name_of(config): " ".join(capability.name.value for capability in engines)
        for config in configs
        if capabilities.is_ready(config) and (engines := engines_of(config)) is not None
    }
    return "map[" + " ".join(f"{name}:[{engines}]" for name, engines in sorted(entries.items())) + "]"


def _go_bool(value: bool) -> str:
    return "true" if value else "false"
