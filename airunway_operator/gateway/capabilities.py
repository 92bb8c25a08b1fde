"""A provider's gateway capabilities for one ModelDeployment, and where its InferencePool lives.

The capabilities are the `gateway` block of the provider's InferenceProviderConfig for the
resolved engine (SPEC-core §6.3 step 4; readiness ignored). A provider that manages the pool
names it with `{name}`/`{namespace}` placeholders (§6.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import GatewayCapabilities, InferenceProviderConfig


@dataclass(frozen=True)
class PoolLocation:
    name: str
    namespace: str


def provider_name(md: ModelDeployment) -> str:
    spec = md.spec.provider.name if md.spec.provider is not None else None
    recorded = md.status.provider.name if md.status and md.status.provider else None
    return spec or recorded or ""


def engine_name(md: ModelDeployment) -> str:
    if md.spec.engine is not None and md.spec.engine.type is not None:
        return md.spec.engine.type.value
    if md.status is not None and md.status.engine is not None and md.status.engine.type is not None:
        return md.status.engine.type.value
    return ""


def resolve(md: ModelDeployment, configs: Sequence[InferenceProviderConfig]) -> GatewayCapabilities | None:
    """The `gateway` block of the provider's engine capability, or None."""
    name, engine = provider_name(md), engine_name(md)
    config = next((c for c in configs if c.metadata.name == name), None)
    if config is None or config.spec is None or config.spec.capabilities is None:
        return None
    for capability in config.spec.capabilities.engines or ():
        if capability.name.value == engine:
            return capability.gateway
    return None


def manages_pool(caps: GatewayCapabilities | None) -> bool:
    return bool(caps is not None and caps.manages_inference_pool)


def _fill(pattern: str | None, md: ModelDeployment, fallback: str) -> str:
    if not pattern:
        return fallback
    name, namespace = md.metadata.name or "", md.metadata.namespace or ""
    return pattern.replace("{name}", name).replace("{namespace}", namespace)


def pool_location(md: ModelDeployment, caps: GatewayCapabilities | None) -> PoolLocation:
    """The controller-managed pool is `<md>` in the MD's namespace; a provider-managed one follows
    the provider's patterns."""
    name, namespace = md.metadata.name or "", md.metadata.namespace or ""
    if not manages_pool(caps):
        return PoolLocation(name, namespace)
    assert caps is not None
    return PoolLocation(
        _fill(caps.inference_pool_name_pattern, md, name),
        _fill(caps.inference_pool_namespace, md, namespace),
    )
