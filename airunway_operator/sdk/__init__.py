"""The core's public API for provider plug-ins: the only part of `airunway_operator` a provider
imports (an import-linter contract holds the built-in providers to it).

It carries the ModelDeployment model, the wire constants and condition tokens, the effective-spec
helpers (`effective`: the spec with upstream's admission defaults applied) and the engine-argument
checks admission uses, so that a provider renders exactly what admission judged.
"""

from __future__ import annotations

from airunway_operator.api import conditions, constants
from airunway_operator.api.constants import (
    AccessMode,
    ApiFormat,
    EngineType,
    ModelSource,
    Phase,
    ServingMode,
    VolumePurpose,
)
from airunway_operator.api.modeldeployment import (
    ComponentScalingSpec,
    ModelDeployment,
    ModelDeploymentSpec,
    StorageVolume,
)
from airunway_operator.api.providerconfig import (
    EngineCapability,
    GatewayCapabilities,
    InferenceProviderConfig,
    InferenceProviderConfigSpec,
    ProviderCapabilities,
    SelectionRule,
)
from airunway_operator.sdk import effective
from airunway_operator.validation.spec import check_args, is_dynamo_mocker

__all__ = [
    "AccessMode",
    "ApiFormat",
    "ComponentScalingSpec",
    "EngineCapability",
    "EngineType",
    "GatewayCapabilities",
    "InferenceProviderConfig",
    "InferenceProviderConfigSpec",
    "ModelDeployment",
    "ModelDeploymentSpec",
    "ModelSource",
    "Phase",
    "ProviderCapabilities",
    "SelectionRule",
    "ServingMode",
    "StorageVolume",
    "VolumePurpose",
    "check_args",
    "conditions",
    "constants",
    "effective",
    "is_dynamo_mocker",
]
