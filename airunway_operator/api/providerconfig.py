"""Typed InferenceProviderConfig (cluster-scoped, airunway.ai/v1alpha1): schema source and parser.

A provider registers one of these under its own name: which engines it runs in which modes, what
gateway behaviour it needs, and CEL rules that rank it during auto-selection (SPEC-core §1.2).
Optional booleans are `None` when absent, which every reader treats as false (except
`requiresCRD`, where absent means true). Pure: no client, no kopf.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from airunway_operator.api import constants, markers
from airunway_operator.api.constants import ApiFormat, EngineType, ServingMode
from airunway_operator.api.meta import ApiModel, Condition, ObjectMeta


class EndpointPickerCapabilities(ApiModel):
    """Endpoint Picker customisation used with the controller-managed InferencePool."""

    image: str | None = None
    """Endpoint Picker image; the controller's built-in default when empty."""

    config_data: str | None = None
    """EndpointPickerConfig YAML written to the picker's ConfigMap as default-plugins.yaml; the
    controller's default configuration when empty."""


class GatewayCapabilities(ApiModel):
    """Gateway behaviour of one engine on this provider."""

    manages_inference_pool: bool | None = None
    """The provider creates the InferencePool and Endpoint Picker itself; the controller then waits
    for that pool instead of creating one."""

    inference_pool_name_pattern: str | None = None
    """Name of the provider-created pool, with {name} and {namespace} placeholders; the deployment
    name when empty. Used only with managesInferencePool."""

    inference_pool_namespace: str | None = None
    """Namespace of the provider-created pool, with the same placeholders; the deployment's
    namespace when empty."""

    endpoint_picker: EndpointPickerCapabilities | None = None
    """Custom Endpoint Picker image and configuration (ignored with managesInferencePool)."""

    ignores_served_name: bool | None = None
    """Gateway routing must not use spec.model.servedName for this engine."""


class EngineCapability(ApiModel):
    """What the provider offers for one engine."""

    name: EngineType
    """The engine: vllm, sglang, trtllm or llamacpp."""

    serving_modes: tuple[ServingMode, ...] | None = None
    """Serving modes supported with this engine; an empty list supports none."""

    api_formats: tuple[ApiFormat, ...] | None = None
    """API formats the engine speaks; openai-chat when empty."""

    gpu_support: bool | None = None
    """The engine can run on GPUs."""

    cpu_support: bool | None = None
    """The engine can run on CPUs only."""

    requires_crd: bool | None = Field(default=None, alias="requiresCRD", json_schema_extra=markers.NULLABLE)
    """The engine needs an upstream CRD or operator to be installed; absent means true."""

    gateway: GatewayCapabilities | None = None
    """Gateway behaviour for this engine."""


class ProviderCapabilities(ApiModel):
    """Everything the provider can serve."""

    engines: tuple[EngineCapability, ...] | None = Field(
        default=None, json_schema_extra=markers.list_map("name")
    )
    """Supported engines, one entry per engine name."""


class SelectionRule(ApiModel):
    """A CEL rule that ranks this provider during automatic selection."""

    condition: str
    """CEL expression over the deployment spec (variable spec), for example
    spec.engine.type == 'llamacpp'. Rules that fail to evaluate are skipped."""

    priority: int = Field(default=0, ge=0, json_schema_extra=markers.INT32)
    """Priority when the rule matches; the provider with the highest matching priority wins."""


class InferenceProviderConfigSpec(ApiModel):
    """Capabilities and selection rules of a provider."""

    capabilities: ProviderCapabilities | None = None
    """Engines, serving modes and hardware the provider supports."""

    selection_rules: tuple[SelectionRule, ...] | None = None
    """Rules that rank the provider during automatic selection; a compatible provider with no matching
    rule still competes at priority 0."""


class InferenceProviderConfigStatus(ApiModel):
    """Health of a provider, refreshed by its controller every minute."""

    ready: bool | None = None
    """The provider accepts new deployments."""

    version: str | None = None
    """Version of the provider controller."""

    last_heartbeat: datetime | None = None
    """When the provider controller last refreshed this status."""

    upstream_crd_version: str | None = Field(default=None, alias="upstreamCRDVersion")
    """API version of the upstream resource the provider creates."""

    upstream_schema_hash: str | None = None
    """Hash of the upstream CRD schema, for version detection."""

    conditions: tuple[Condition, ...] | None = Field(default=None, json_schema_extra=markers.list_map("type"))
    """Detailed conditions of the provider (for example UpstreamReady)."""


class InferenceProviderConfig(ApiModel):
    """Registration of an inference provider: its capabilities, selection rules and health."""

    api_version: str = constants.API_VERSION
    """Versioned schema of this object (airunway.ai/v1alpha1)."""

    kind: str = constants.PROVIDERCONFIG_KIND
    """Kind of this object (InferenceProviderConfig)."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata; the name is the provider name."""

    spec: InferenceProviderConfigSpec | None = None
    """Capabilities and selection rules, written by the provider at registration."""

    status: InferenceProviderConfigStatus | None = None
    """Health, written by the provider controller."""

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> InferenceProviderConfig:
        """Build the typed object from a raw body (a dict or kopf's Body); unknown fields are dropped."""
        return cls.model_validate(dict(body))


def parse(body: Mapping[str, Any]) -> InferenceProviderConfig:
    """Build a typed InferenceProviderConfig from a raw body; raises pydantic.ValidationError."""
    return InferenceProviderConfig.parse(body)
