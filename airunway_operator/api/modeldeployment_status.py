"""Typed ModelDeployment status (SPEC-core §1.1.2): what the core and the providers report.

Split from `modeldeployment` only to keep each module short; it carries no logic. Every field is
optional because several writers fill it in over time.
"""

from __future__ import annotations

from pydantic import Field

from airunway_operator.api import markers
from airunway_operator.api.constants import ApiFormat, EngineType, Phase
from airunway_operator.api.meta import ApiModel, Condition


class ProviderStatus(ApiModel):
    """The provider serving this deployment."""

    name: str | None = None
    """Selected provider; the handoff key between the core controller and the providers."""

    selected_reason: str | None = None
    """Why this provider was chosen (explicit selection or matched capabilities)."""

    resource_name: str | None = None
    """Name of the object the provider created (for example a Workspace)."""

    resource_kind: str | None = None
    """Kind of the object the provider created."""


class EngineStatus(ApiModel):
    """The engine in use."""

    type: EngineType | None = None
    """Resolved engine: the explicit spec.engine.type or the auto-selected one."""

    selected_reason: str | None = None
    """Why this engine was chosen."""


class GatewayStatus(ApiModel):
    """How the model is reached through the inference gateway."""

    endpoint: str | None = None
    """Address of the Gateway (IP or host name, without scheme)."""

    model_name: str | None = None
    """Model name to send in requests; the HTTPRoute matches on it."""

    gateway_namespace: str | None = None
    """Namespace of the Gateway used for routing."""

    api_formats: tuple[ApiFormat, ...] | None = None
    """API formats the engine speaks (declared by upstream; not populated yet)."""


class ImageStatus(ApiModel):
    """Image resolution and verification results."""

    requested: str | None = None
    """Image reference asked for by the user or by the resolver."""

    resolved: str | None = None
    """Fully resolved image reference in use (digest-pinned when known)."""

    repository: str | None = None
    """Repository part of the image reference."""

    tag: str | None = None
    """Tag of the image."""

    digest: str | None = None
    """Immutable digest of the image, when known."""

    source: str | None = None
    """How the image was chosen: stable, nightly, launch or custom."""

    created_at: str | None = None
    """Creation time of the image, when known."""

    revision: str | None = None
    """Source revision the image was built from, when known."""

    age: str | None = None
    """Human-readable age of the image, when known."""

    in_nightly: bool | None = None
    """Whether the image appears in the nightly catalogue."""

    verified: bool | None = None
    """Whether the image passed verification."""

    verification_message: str | None = None
    """Details of the image verification."""

    message: str | None = None
    """Details of image resolution, including conflicts between image fields."""


class ReplicaStatus(ApiModel):
    """Replica counts of the serving workload."""

    desired: int | None = Field(default=None, json_schema_extra=markers.INT32)
    """Replicas requested."""

    ready: int | None = Field(default=None, json_schema_extra=markers.INT32)
    """Replicas ready to serve."""

    available: int | None = Field(default=None, json_schema_extra=markers.INT32)
    """Replicas available (ready for long enough)."""


class EndpointStatus(ApiModel):
    """In-cluster Service that serves the model."""

    service: str | None = None
    """Name of the Service in the deployment's namespace."""

    port: int | None = Field(default=None, json_schema_extra=markers.INT32)
    """Port of the Service."""


class ModelDeploymentStatus(ApiModel):
    """Observed state of a ModelDeployment."""

    phase: Phase | None = None
    """Lifecycle phase: Pending, Deploying, Running, Failed or Terminating."""

    message: str | None = None
    """Human-readable explanation of the current phase."""

    provider: ProviderStatus | None = None
    """Selected provider and the object it created."""

    engine: EngineStatus | None = None
    """Resolved engine."""

    gateway: GatewayStatus | None = None
    """Gateway routing details."""

    image: ImageStatus | None = None
    """Image resolution details."""

    replicas: ReplicaStatus | None = None
    """Replica counts."""

    endpoint: EndpointStatus | None = None
    """Service that serves the model inside the cluster."""

    conditions: tuple[Condition, ...] | None = Field(default=None, json_schema_extra=markers.list_map("type"))
    """Detailed conditions (Validated, EngineSelected, ProviderSelected, Ready, GatewayReady, ...)."""

    observed_generation: int | None = Field(default=None, json_schema_extra=markers.INT64)
    """The metadata.generation last processed by the controller."""
