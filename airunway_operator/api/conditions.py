"""Condition types and reason tokens, spelled exactly as upstream AI Runway spells them.

Dashboards and GitOps tools read these tokens, so they are part of the wire contract.
"""

from __future__ import annotations

from typing import Final

# Types written by the core controller.
VALIDATED: Final = "Validated"
ENGINE_SELECTED: Final = "EngineSelected"
PROVIDER_SELECTED: Final = "ProviderSelected"
IMAGE_RESOLVED: Final = "ImageResolved"
GATEWAY_READY: Final = "GatewayReady"
# Types written by providers.
PROVIDER_COMPATIBLE: Final = "ProviderCompatible"
RESOURCE_CREATED: Final = "ResourceCreated"
READY: Final = "Ready"

CORE_TYPES: Final = frozenset({VALIDATED, ENGINE_SELECTED, PROVIDER_SELECTED, IMAGE_RESOLVED, GATEWAY_READY})

# Reasons.
VALIDATION_PASSED: Final = "ValidationPassed"
VALIDATION_FAILED: Final = "ValidationFailed"
EXPLICIT_SELECTION: Final = "ExplicitSelection"
AUTO_SELECTED: Final = "AutoSelected"
SELECTION_FAILED: Final = "SelectionFailed"
PROVIDER_CHANGE_NOT_SUPPORTED: Final = "ProviderChangeNotSupported"
NO_PROVIDER: Final = "NoProvider"
CONFLICTING_IMAGE_FIELDS: Final = "ConflictingImageFields"
DEPLOYMENT_READY: Final = "DeploymentReady"
DEPLOYMENT_IN_PROGRESS: Final = "DeploymentInProgress"
DEPLOYMENT_FAILED: Final = "DeploymentFailed"
