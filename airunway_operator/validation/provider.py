"""Rule 10: the named provider's compatibility, from the outcome of the admission lookup (SPEC-core §2.7).

Decides whether a lookup is needed at all, and turns each lookup outcome into errors or warnings;
the capability comparison itself is `compatibility.check`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from airunway_operator.api.modeldeployment import ModelDeploymentSpec
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.sdk import effective as defaults
from airunway_operator.validation import compatibility, lookup, paths
from airunway_operator.validation import spec as spec_rules
from airunway_operator.validation.result import ErrorKind, FieldError, shown


def to_look_up(spec: ModelDeploymentSpec, annotations: Mapping[str, str]) -> str | None:
    """The InferenceProviderConfig to fetch: only with both a provider name and an engine type,
    and never for the Dynamo mocker (an unknown provider without an engine is admitted)."""
    name = spec.provider.name if spec.provider is not None else None
    engine = spec.engine.type if spec.engine is not None else None
    if not name or engine is None or spec_rules.is_dynamo_mocker(annotations, spec):
        return None
    return name


def check(
    spec: ModelDeploymentSpec, annotations: Mapping[str, str], outcome: lookup.ProviderLookup
) -> tuple[list[FieldError], list[str]]:
    """Errors and warnings for the effective `spec` given what the lookup found."""
    name = to_look_up(spec, annotations)
    if name is None:
        return [], []
    match outcome:
        case lookup.Found(config=config):
            return _compatibility(spec, name, config), []
        case lookup.NotFound():
            message = (
                f"spec.provider.name {shown(name)} names no InferenceProviderConfig; "
                "install that provider or correct the name"
            )
            return [FieldError(paths.PROVIDER_NAME, ErrorKind.INVALID, message)], []
        case lookup.Forbidden():
            message = (
                f"spec.provider.name {shown(name)} could not be verified: the admission webhook may not read "
                "InferenceProviderConfigs; grant it get on inferenceproviderconfigs.airunway.ai"
            )
            return [FieldError(paths.PROVIDER_NAME, ErrorKind.INTERNAL, message)], []
        case lookup.Unavailable(reason=reason):
            warning = (
                f"spec.provider.name: InferenceProviderConfig {shown(name)} could not be read "
                f"({shown(reason)}), so provider compatibility was not checked at admission; "
                "the controller checks it again"
            )
            return [], [warning]
        case _:
            return [], []


def _compatibility(spec: ModelDeploymentSpec, name: str, config: InferenceProviderConfig) -> list[FieldError]:
    gpu = spec.resources.gpu if spec.resources is not None else None
    return compatibility.check(
        provider=name,
        config=config,
        engine=spec.engine.type if spec.engine is not None else None,
        mode=defaults.serving_mode(spec),
        gpu_count=gpu.count if gpu is not None else 0,
    )
