"""The two admission entry points for ModelDeployments (SPEC-core §2.3, §2.4) and the lookup question.

Reads raw bodies as the API server sends them, judges their effective values (`defaults`) with
every rule module, and folds all problems into one `Verdict`. Never raises and never reads the
cluster: the handler asks `provider_to_look_up`, performs that read itself, and passes the
outcome in. It also asks `explicit_provider` and passes in that provider plug-in's admission
warnings (SPEC-providers D3/D4: fields the provider accepts but cannot use). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from airunway_operator.api.meta import ObjectMeta
from airunway_operator.api.modeldeployment import ModelDeployment, ModelDeploymentSpec, StorageVolume
from airunway_operator.sdk import effective as defaults
from airunway_operator.validation import (
    immutability,
    overrides,
    parsing,
    paths,
    provider,
    resources,
    storage,
    warnings,
)
from airunway_operator.validation import spec as spec_rules
from airunway_operator.validation.lookup import ProviderLookup
from airunway_operator.validation.result import ErrorKind, FieldError, Verdict, shown

ProviderWarnings = Callable[[ModelDeployment], list[str]]
"""A provider plug-in's admission warnings (`providers.base.Provider.admission_warnings`)."""


def provider_to_look_up(body: Mapping[str, Any]) -> str | None:
    """Name of the InferenceProviderConfig the handler must read before validating `body`, if any."""
    try:
        parsed = parsing.read(body)
        return provider.to_look_up(parsed.spec, parsed.annotations) if parsed.spec is not None else None
    except Exception:  # the question must not fail the review; validation reports the cause
        return None


def explicit_provider(body: Mapping[str, Any]) -> str | None:
    """`spec.provider.name` of a raw body when it names a provider, whose admission warnings the
    handler then passes to `validate_create`/`validate_update`."""
    spec = body.get("spec") if isinstance(body, Mapping) else None
    provider_block = spec.get("provider") if isinstance(spec, Mapping) else None
    name = provider_block.get("name") if isinstance(provider_block, Mapping) else None
    return name if isinstance(name, str) and name else None


def validate_create(
    body: Mapping[str, Any],
    provider_lookup: ProviderLookup,
    provider_warnings: ProviderWarnings | None = None,
) -> Verdict:
    """Every problem of a new ModelDeployment, plus warnings (the named provider's included)."""
    return _guarded(
        body, lambda: _review(body, parsing.read(body), provider_lookup, provider_warnings, creating=True)
    )


def validate_update(
    body: Mapping[str, Any],
    old: Mapping[str, Any],
    provider_lookup: ProviderLookup,
    provider_warnings: ProviderWarnings | None = None,
) -> Verdict:
    """Every problem of an updated ModelDeployment, including forbidden changes from `old`.

    An object being deleted is always admitted, so validation can never block finalizer removal
    (the webhook configuration skips such requests too; this is the second line).
    """
    if parsing.has_deletion_timestamp(body):
        return Verdict(name=parsing.read(body).name)
    return _guarded(
        body, lambda: _review_update(body, parsing.read(body), old, provider_lookup, provider_warnings)
    )


def _review(
    body: Mapping[str, Any],
    parsed: parsing.Parsed,
    provider_lookup: ProviderLookup,
    provider_warnings: ProviderWarnings | None,
    *,
    creating: bool,
) -> Verdict:
    errors = [*(_name_errors(parsed.name) if creating else []), *parsed.errors]
    block = parsed.raw_spec.get("provider")
    if parsed.spec is None:
        # Without a typed spec only the overrides (read raw) can still be judged.
        errors += overrides.check(block, None) if isinstance(block, Mapping) else []
        return Verdict(tuple(errors), (), parsed.name)
    spec = defaults.effective_spec(parsed.spec, parsed.name)
    mocker = spec_rules.is_dynamo_mocker(parsed.annotations, spec)
    provider_errors, lookup_warnings = provider.check(spec, parsed.annotations, provider_lookup)
    errors += [
        *spec_rules.check_image(spec),
        *spec_rules.check_args(spec),
        *spec_rules.check_model_id(spec),
        *(overrides.check(block, _provider_name(spec)) if isinstance(block, Mapping) else []),
        *spec_rules.check_mocker_engine(spec, mocker),
        *provider_errors,
        *spec_rules.check_disaggregated(spec, mocker),
        *storage.check(_volumes(spec), parsed.name),
        *resources.check(spec),
    ]
    plugin_warnings = _plugin_warnings(body, parsed, provider_warnings)
    return Verdict(tuple(errors), (*warnings.collect(spec), *lookup_warnings, *plugin_warnings), parsed.name)


def _review_update(
    body: Mapping[str, Any],
    parsed: parsing.Parsed,
    old: Mapping[str, Any],
    provider_lookup: ProviderLookup,
    provider_warnings: ProviderWarnings | None,
) -> Verdict:
    verdict = _review(body, parsed, provider_lookup, provider_warnings, creating=False)
    previous = parsing.read(old)
    if parsed.spec is None:
        return verdict
    if previous.spec is None:
        return verdict.with_warnings(
            "The stored ModelDeployment could not be read, so changes to immutable fields were not checked"
        )
    errors = immutability.check(
        defaults.effective_spec(parsed.spec, parsed.name),
        defaults.effective_spec(previous.spec, previous.name or parsed.name),
        parsing.status_provider_name(old),
    )
    return Verdict((*verdict.errors, *errors), verdict.warnings, verdict.name)


def _plugin_warnings(
    body: Mapping[str, Any], parsed: parsing.Parsed, provider_warnings: ProviderWarnings | None
) -> list[str]:
    """The named provider's warnings for the object as written (the provider reads it the same
    way when it renders). A failing plug-in costs its warnings, never the review."""
    if provider_warnings is None or parsed.spec is None:
        return []
    try:
        return [str(warning) for warning in provider_warnings(_deployment(body, parsed, parsed.spec))]
    except Exception as error:  # deliberately broad: a third-party plug-in must not fail admission
        name = _provider_name(parsed.spec) or "?"
        return [
            f"spec.provider.name: the warnings of provider {shown(name)} could not be computed "
            f"({type(error).__name__}); fields it cannot use were not checked"
        ]


def _deployment(
    body: Mapping[str, Any], parsed: parsing.Parsed, spec: ModelDeploymentSpec
) -> ModelDeployment:
    """The typed object, status included when it parses; else metadata and spec alone."""
    try:
        return ModelDeployment.parse(body)
    except Exception:  # status or metadata the typed model cannot read: judge the spec alone
        metadata = ObjectMeta(name=parsed.name, annotations=dict(parsed.annotations))
        return ModelDeployment(metadata=metadata, spec=spec)


def _name_errors(name: str) -> list[FieldError]:
    """Rule 1 (create only): dots would leak into derived claim, Job and Service names."""
    if "." not in name:
        return []
    message = (
        f"metadata.name {shown(name)} must not contain dots, because it prefixes the names of created "
        "claims, Jobs and Services; use dashes instead"
    )
    return [FieldError(paths.METADATA_NAME, ErrorKind.INVALID, message)]


def _provider_name(spec: ModelDeploymentSpec) -> str | None:
    return spec.provider.name if spec.provider is not None else None


def _volumes(spec: ModelDeploymentSpec) -> tuple[StorageVolume, ...]:
    storage_spec = spec.model.storage
    return storage_spec.volumes or () if storage_spec is not None else ()


def _guarded(body: object, review: Callable[[], Verdict]) -> Verdict:
    """Admission must always answer: a bug in a rule becomes one internal error, not a crash."""
    try:
        return review()
    except Exception as error:  # deliberately broad: see docstring
        message = (
            f"spec could not be validated because of an internal error ({type(error).__name__}); report it"
        )
        return Verdict((FieldError(paths.SPEC, ErrorKind.INTERNAL, message),), (), _safe_name(body))


def _safe_name(body: object) -> str:
    try:
        return parsing.read(body).name
    except Exception:
        return ""
