"""What a deployment needs from an engine capability, and the predicates that reject one.

Shared by engine and provider selection (SPEC-core §4.1 step 5 and §4.2 step 5): the deployment
needs a GPU when it asks for one (`resources.gpu.count > 0`, after upstream's webhook defaults)
or runs disaggregated; a capability must support that hardware and the serving mode. `requiresCRD`,
`apiFormats` and gateway capabilities play no part. Also the failure value both selections return.
Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from airunway_operator.api.constants import ServingMode
from airunway_operator.api.modeldeployment import ModelDeploymentSpec
from airunway_operator.api.providerconfig import EngineCapability, InferenceProviderConfig
from airunway_operator.sdk import effective as defaults

NO_PROVIDERS_REGISTERED: Final = "no providers registered (InferenceProviderConfig resources not found)"


@dataclass(frozen=True)
class SelectionFailed:
    """Selection could not decide; `message` is upstream's error text (conformance tests compare it)."""

    message: str


@dataclass(frozen=True)
class Requirement:
    """The hardware and serving mode a deployment asks for."""

    has_gpu: bool
    mode: ServingMode


def requirement(spec: ModelDeploymentSpec) -> Requirement:
    """What `spec` (as stored) asks for, judged as upstream judges it after its webhook defaulted
    `resources.gpu.count: 1` for an explicit non-llamacpp engine (SPEC-core §2.2 step 4)."""
    mode = defaults.serving_mode(spec)
    gpu = spec.resources.gpu if spec.resources is not None else None
    requested = defaults.gpu_default_applies(spec) or (gpu is not None and gpu.count > 0)
    return Requirement(has_gpu=requested or mode is ServingMode.DISAGGREGATED, mode=mode)


CapabilityCheck = Callable[[EngineCapability, Requirement], str | None]


def lacks_gpu_support(capability: EngineCapability, need: Requirement) -> str | None:
    """A GPU deployment needs `gpuSupport`."""
    return (
        f"{capability.name.value} has no GPU support" if need.has_gpu and not capability.gpu_support else None
    )


def lacks_cpu_support(capability: EngineCapability, need: Requirement) -> str | None:
    """A deployment without GPUs needs `cpuSupport`."""
    wanted = not need.has_gpu and not capability.cpu_support
    return f"{capability.name.value} does not run without a GPU" if wanted else None


def lacks_serving_mode(capability: EngineCapability, need: Requirement) -> str | None:
    """The serving mode must be listed; an empty list supports no mode at all."""
    if need.mode in (capability.serving_modes or ()):
        return None
    return f"{capability.name.value} does not support {need.mode.value} mode"


CAPABILITY_CHECKS: Final[tuple[CapabilityCheck, ...]] = (
    lacks_gpu_support,
    lacks_cpu_support,
    lacks_serving_mode,
)


def capability_rejection(capability: EngineCapability, need: Requirement) -> str | None:
    """Why `capability` cannot serve `need` (the first failing check), None when it can."""
    return next((reason for check in CAPABILITY_CHECKS if (reason := check(capability, need))), None)


def is_ready(config: InferenceProviderConfig) -> bool:
    """The provider reported `status.ready: true`."""
    return config.status is not None and config.status.ready is True


def name_of(config: InferenceProviderConfig) -> str:
    """The provider name (the config's object name)."""
    return config.metadata.name or ""


def by_name(configs: Iterable[InferenceProviderConfig]) -> list[InferenceProviderConfig]:
    """`configs` sorted by name. Upstream iterates in informer-cache order, which is not
    deterministic (SPEC-core §13.15); sorting makes "first provider offering an engine" stable."""
    return sorted(configs, key=name_of)
