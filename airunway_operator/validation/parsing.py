"""Turn a raw ModelDeployment body into what the validators need, without ever raising.

The spec is parsed with the typed model; a pydantic error becomes a `FieldError` whose path is
the `spec.…` path of the offending value (aliases as on the wire, union tags dropped). A spec
that does not parse is not judged further, as upstream's webhook fails to decode such an object;
in practice the API server's schema validation rejects those bodies before admission runs.
Metadata and status are read leniently from the raw body: the API server validates metadata
itself and status is not part of admission, so neither may make a review fail. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from airunway_operator.api import markers
from airunway_operator.api.modeldeployment import ModelDeploymentSpec
from airunway_operator.validation import paths
from airunway_operator.validation.result import ErrorKind, FieldError

_MISSING = object()


@dataclass(frozen=True)
class Parsed:
    """A body split into what validation reads; `spec` is None when it could not be parsed."""

    name: str
    annotations: Mapping[str, str]
    raw_spec: Mapping[str, Any]
    spec: ModelDeploymentSpec | None
    errors: tuple[FieldError, ...] = field(default=())


def read(body: object) -> Parsed:
    """Parse `body`; schema problems come back in `errors`, never as an exception."""
    raw = body if isinstance(body, Mapping) else {}
    metadata = _mapping(raw.get("metadata"))
    name = _text(metadata.get("name"))
    annotations = {str(k): v for k, v in _mapping(metadata.get("annotations")).items() if isinstance(v, str)}
    raw_spec = raw.get("spec", _MISSING)
    if not isinstance(raw_spec, Mapping):
        missing = raw_spec is _MISSING or raw_spec is None
        problem = FieldError(
            paths.SPEC,
            ErrorKind.REQUIRED if missing else ErrorKind.INVALID,
            "spec is required and must be an object with at least spec.model; add it",
        )
        return Parsed(name, annotations, {}, None, (problem,))
    spec, errors = _parse_spec(raw_spec)
    return Parsed(name, annotations, raw_spec, spec, errors)


def status_provider_name(body: object) -> str:
    """`status.provider.name` of a raw body, or "" when absent or not a string."""
    status = _mapping(body.get("status")) if isinstance(body, Mapping) else {}
    return _text(_mapping(status.get("provider")).get("name"))


def has_deletion_timestamp(body: object) -> bool:
    """Whether the raw body is being deleted (metadata.deletionTimestamp set)."""
    metadata = _mapping(body.get("metadata")) if isinstance(body, Mapping) else {}
    return bool(metadata.get("deletionTimestamp"))


def _parse_spec(raw_spec: Mapping[str, Any]) -> tuple[ModelDeploymentSpec | None, tuple[FieldError, ...]]:
    # A non-object `provider.overrides` is reported by the overrides rules (5 and 6) with a
    # redacted value; hiding it here keeps the rest of the spec checkable.
    try:
        return ModelDeploymentSpec.model_validate(_without_bad_overrides(raw_spec)), ()
    except ValidationError as error:
        return None, tuple(field_errors(raw_spec, error.errors(include_url=False)))


def _without_bad_overrides(raw_spec: Mapping[str, Any]) -> Mapping[str, Any]:
    provider = raw_spec.get("provider")
    if not isinstance(provider, Mapping) or isinstance(provider.get("overrides"), Mapping | None):
        return raw_spec
    return {**raw_spec, "provider": {k: v for k, v in provider.items() if k != "overrides"}}


def field_errors(raw_spec: Mapping[str, Any], details: Sequence[ErrorDetails]) -> list[FieldError]:
    """One FieldError per offending path (a union reports several alternatives for one value)."""
    by_path: dict[str, list[ErrorDetails]] = {}
    for detail in details:
        by_path.setdefault(_path(raw_spec, detail), []).append(detail)
    return [_field_error(path, group) for path, group in by_path.items()]


def _path(raw_spec: Mapping[str, Any], detail: ErrorDetails) -> str:
    """Follow the error's location through the raw input; steps not found there are union tags,
    except the last step of a "missing" error, which names the absent field."""
    path, current, loc = paths.SPEC, cast(object, raw_spec), detail["loc"]
    for number, step in enumerate(loc, start=1):
        if isinstance(current, Mapping) and step in current:
            path, current = paths.child(path, step), current[step]
        elif isinstance(current, list | tuple) and isinstance(step, int) and 0 <= step < len(current):
            path, current = paths.index(path, step), current[step]
        elif detail["type"] == "missing" and number == len(loc):
            path = paths.child(path, step)
    return path


def _field_error(path: str, group: Sequence[ErrorDetails]) -> FieldError:
    for describe in _DESCRIBERS:
        error = next((e for detail in group if (e := describe(path, detail)) is not None), None)
        if error is not None:
            return error
    reasons = " or ".join(dict.fromkeys(_wire_words(detail["msg"]) for detail in group))
    return FieldError(path, ErrorKind.INVALID, f"{path} has an invalid value: {reasons}; correct it")


def _describe_missing(path: str, detail: ErrorDetails) -> FieldError | None:
    if detail["type"] != "missing":
        return None
    return FieldError(path, ErrorKind.REQUIRED, f"{path} is required; set it")


def _describe_pattern(path: str, detail: ErrorDetails) -> FieldError | None:
    pattern = _ctx(detail).get("pattern")
    if pattern == markers.QUANTITY_PATTERN:
        return FieldError(
            path, ErrorKind.INVALID, f"{path} must be a resource quantity such as 100Gi or 500m"
        )
    if pattern == markers.DNS_LABEL_PATTERN:
        hint = "lower-case letters, digits and '-', starting and ending with a letter or digit"
        return FieldError(path, ErrorKind.INVALID, f"{path} must be a DNS label ({hint})")
    return None


def _describe_enum(path: str, detail: ErrorDetails) -> FieldError | None:
    if detail["type"] != "enum":
        return None
    return FieldError(path, ErrorKind.NOT_SUPPORTED, f"{path} must be one of {_ctx(detail).get('expected')}")


def _describe_bound(path: str, detail: ErrorDetails) -> FieldError | None:
    ctx, value = _ctx(detail), detail.get("input")
    shown_value = f"is {value}, which " if isinstance(value, int) else ""
    if detail["type"] == "less_than_equal":
        message = f"{path} {shown_value}exceeds the maximum allowed ({ctx.get('le')}); lower it"
        return FieldError(path, ErrorKind.INVALID, message)
    if detail["type"] == "greater_than_equal":
        return FieldError(path, ErrorKind.INVALID, f"{path} must be at least {ctx.get('ge')}; raise it")
    if detail["type"] in ("too_long", "string_too_long"):
        unit = "characters" if detail["type"] == "string_too_long" else "items"
        message = f"{path} is longer than the maximum of {ctx.get('max_length')} {unit}; shorten it"
        return FieldError(path, ErrorKind.TOO_LONG, message)
    return None


_DESCRIBERS: Final = (_describe_missing, _describe_pattern, _describe_enum, _describe_bound)


def _ctx(detail: ErrorDetails) -> Mapping[str, Any]:
    return detail.get("ctx") or {}


def _wire_words(message: str) -> str:
    """Pydantic's sentence in manifest words (lists and objects, not tuples and dictionaries)."""
    for python, wire in (("tuple", "list"), ("dictionary", "object")):
        message = message.replace(f"valid {python}", f"valid {wire}")
    return message[:1].lower() + message[1:]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
