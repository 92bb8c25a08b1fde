"""A small stand-in for the API server's structural-schema handling, for tests without a cluster.

Three jobs: `validate` a value against an OpenAPI v3 schema the way `kubectl apply` with strict
field validation would (types, enums, required, bounds, patterns, unknown fields, list-map keys);
`apply_defaults` as the API server's structural defaulting does; and list `structural_problems`
of a schema (what apiextensions.k8s.io/v1 would refuse). Only the schema features our CRDs use
are supported; anything else is reported rather than ignored.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Schema = Mapping[str, Any]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_KNOWN_KEYS = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "items",
        "additionalProperties",
        "enum",
        "default",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "pattern",
        "nullable",
        "anyOf",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
    }
)


@dataclass(frozen=True)
class Problem:
    """One validation failure, located by its field path (spec.model.storage.volumes[0].name)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def validate(value: Any, schema: Schema, path: str = "") -> list[Problem]:
    """Every problem of `value` against `schema`."""
    if value is None:
        return [] if schema.get("nullable") else [Problem(path, "must not be null")]
    if schema.get("x-kubernetes-int-or-string"):
        return _int_or_string(value, schema, path)
    kind = schema.get("type")
    if kind is not None and not _has_type(value, kind):
        return [Problem(path, f"must be of type {kind}, got {type(value).__name__}")]
    problems = _scalar_problems(value, schema, path)
    if isinstance(value, dict):
        problems += _object_problems(value, schema, path)
    if isinstance(value, list):
        problems += _array_problems(value, schema, path)
    return problems


def _has_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPES[kind])


def _int_or_string(value: Any, schema: Schema, path: str) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [Problem(path, "must be an integer or a string")]
    return _scalar_problems(value, schema, path) if isinstance(value, str) else []


def _scalar_problems(value: Any, schema: Schema, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(Problem(path, f"unsupported value {value!r}; allowed: {schema['enum']}"))
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(Problem(path, f"must be greater than or equal to {schema['minimum']}"))
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(Problem(path, f"must be less than or equal to {schema['maximum']}"))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(Problem(path, f"may not be longer than {schema['maxLength']}"))
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(Problem(path, f"must be at least {schema['minLength']} characters"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(Problem(path, f"must match {schema['pattern']!r}"))
    if schema.get("format") == "date-time" and not _is_date_time(value):
        problems.append(Problem(path, "must be an RFC 3339 date-time"))
    return problems


def _is_date_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _object_problems(value: dict[str, Any], schema: Schema, path: str) -> list[Problem]:
    properties: Schema = schema.get("properties", {})
    additional = schema.get("additionalProperties")
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    problems = [
        Problem(join(path, key), "required value") for key in schema.get("required", ()) if key not in value
    ]
    for key, item in value.items():
        if not path and key == "metadata":
            continue  # the API server checks ObjectMeta itself; CRDs may only declare `type: object`
        if key in properties:
            problems += validate(item, properties[key], join(path, key))
        elif isinstance(additional, Mapping):
            problems += validate(item, additional, join(path, key))
        elif not preserve:
            problems.append(Problem(join(path, key), "field not declared in schema"))
    return problems


def _array_problems(value: list[Any], schema: Schema, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        problems.append(Problem(path, f"must have at most {schema['maxItems']} items"))
    if "minItems" in schema and len(value) < schema["minItems"]:
        problems.append(Problem(path, f"must have at least {schema['minItems']} items"))
    items = schema.get("items", {})
    for index, item in enumerate(value):
        problems += validate(item, items, f"{path}[{index}]")
    if schema.get("x-kubernetes-list-type") == "map":
        problems += _duplicate_keys(value, schema["x-kubernetes-list-map-keys"], path)
    return problems


def _duplicate_keys(value: list[Any], keys: list[str], path: str) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    problems: list[Problem] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        key = tuple(item.get(k) for k in keys)
        if key in seen:
            problems.append(
                Problem(f"{path}[{index}]", f"duplicate entry for key {dict(zip(keys, key, strict=True))}")
            )
        seen.add(key)
    return problems


def apply_defaults(value: Any, schema: Schema) -> Any:
    """A copy of `value` with schema defaults filled in where the enclosing object is present."""
    result = copy.deepcopy(value)
    _default_in_place(result, schema)
    return result


def _default_in_place(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _default_in_place(value[key], sub)
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            for item in value.values():
                _default_in_place(item, additional)
    elif isinstance(value, list):
        for item in value:
            _default_in_place(item, schema.get("items", {}))


def structural_problems(schema: Schema, path: str = "") -> list[str]:
    """Reasons apiextensions.k8s.io/v1 would refuse `schema` as a structural schema."""
    problems = [f"{path}: unsupported keyword {key!r}" for key in schema if key not in _KNOWN_KEYS]
    int_or_string = bool(schema.get("x-kubernetes-int-or-string"))
    if "type" not in schema and not int_or_string and not schema.get("x-kubernetes-preserve-unknown-fields"):
        problems.append(f"{path}: no type")
    if "anyOf" in schema and (
        not int_or_string or schema["anyOf"] != [{"type": "integer"}, {"type": "string"}]
    ):
        problems.append(f"{path}: anyOf outside the int-or-string pattern")
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{path}: both properties and additionalProperties")
    if schema.get("type") == "array" and "items" not in schema:
        problems.append(f"{path}: array without items")
    if "default" in schema:
        problems += [f"{path}: default invalid: {p}" for p in validate(schema["default"], schema, path)]
    for key, sub in schema.get("properties", {}).items():
        problems += structural_problems(sub, join(path, key))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            problems += structural_problems(schema[key], f"{path}[]" if key == "items" else f"{path}{{}}")
    return problems
