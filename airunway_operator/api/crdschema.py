"""Translate the typed API models into structural OpenAPI v3 schemas for apiextensions.k8s.io/v1.

Reads only what the models declare: field types, aliases, attribute docstrings, scalar defaults,
annotated-types bounds, patterns, and the Kubernetes markers carried in `json_schema_extra`
(see `markers`). The output is structural: every node has a type, there is no `$ref`, optional
fields collapse to their inner type, and the only `anyOf` is the int-or-string form Kubernetes
allows. Anything the walker does not understand raises, so no constraint is dropped silently.
Pure: no I/O.
"""

from __future__ import annotations

import copy
import enum
import types
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Final, TypeAlias, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

Schema: TypeAlias = dict[str, Any]

#: The longest object name Kubernetes accepts (a DNS subdomain); also the longest generateName.
_MAX_NAME_LENGTH: Final = 253

#: Fields of a top-level kind whose schema is fixed by Kubernetes, not by the model. Of metadata a
#: CRD may only restate name and generateName; doing so with the API server's own length limit
#: rejects nothing new, lets CEL rules name `metadata.name` as their fieldPath, and bounds its size
#: in the rules' cost estimates (the API server drops metadata's schema unless both are declared).
_ROOT_FIXED: Final[dict[str, Schema]] = {
    "metadata": {
        "type": "object",
        "properties": {
            "name": {
                "type": "string",
                "maxLength": _MAX_NAME_LENGTH,
                "description": "Name of the object, unique within its namespace (or the cluster).",
            },
            "generateName": {
                "type": "string",
                "maxLength": _MAX_NAME_LENGTH,
                "description": "Prefix the API server completes into a unique name when name is empty.",
            },
        },
    }
}


class SchemaError(TypeError):
    """A model uses a type or constraint that has no structural-schema translation."""


def root_schema(model: type[BaseModel]) -> Schema:
    """The `openAPIV3Schema` of a top-level kind (apiVersion, kind, metadata, spec, status)."""
    schema = object_schema(model)
    for name, fixed in _ROOT_FIXED.items():
        schema["properties"][name] = copy.deepcopy(fixed)
    for name in ("apiVersion", "kind"):
        schema["properties"][name].pop("default", None)
    schema["description"] = describe(model.__doc__, model.__name__)
    return canonical(schema)


def object_schema(model: type[BaseModel]) -> Schema:
    """Schema of one model: its fields as properties, required fields, model-level markers."""
    properties: Schema = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        alias = info.alias or name
        properties[alias] = field_schema(info, f"{model.__name__}.{name}")
        if info.is_required():
            required.append(alias)
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = sorted(required)
    schema.update(_extra(model.model_config.get("json_schema_extra"), model.__name__))
    return schema


def field_schema(info: FieldInfo, where: str) -> Schema:
    """Schema of one field: type, bounds, default, description and markers."""
    schema = type_schema(info.annotation, info.metadata, where)
    schema["description"] = describe(info.description, where)
    if info.default is not PydanticUndefined and info.default is not None:
        schema["default"] = _scalar(info.default, where)
    schema.update(_extra(info.json_schema_extra, where))
    return schema


def type_schema(annotation: Any, metadata: Sequence[Any], where: str) -> Schema:
    """Schema of a type annotation plus the constraints found in `metadata`."""
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return type_schema(inner, [*metadata, *_flatten(extra)], where)
    if origin in (Union, types.UnionType):
        return _union_schema(get_args(annotation), metadata, where)
    return _constrain(_plain_schema(annotation, where), metadata, where)


def _plain_schema(annotation: Any, where: str) -> Schema:
    origin = get_origin(annotation)
    if origin in (tuple, list):
        item = get_args(annotation)[0]
        return {"type": "array", "items": _item_schema(item, where)}
    if origin is dict:
        _, value = get_args(annotation)
        if value is Any:  # free-form: the field must carry preserve-unknown-fields
            return {"type": "object"}
        return {"type": "object", "additionalProperties": type_schema(value, [], where)}
    if isinstance(annotation, type):
        return _class_schema(annotation, where)
    raise SchemaError(f"{where}: no structural schema for {annotation!r}")


def _class_schema(cls: type, where: str) -> Schema:
    if issubclass(cls, BaseModel):
        return object_schema(cls)
    if issubclass(cls, enum.Enum):
        return {"type": "string", "enum": [member.value for member in cls]}
    if issubclass(cls, bool):  # before int: bool is an int subclass
        return {"type": "boolean"}
    if issubclass(cls, int):
        return {"type": "integer"}
    if issubclass(cls, float):
        return {"type": "number"}
    if issubclass(cls, str):
        return {"type": "string"}
    if issubclass(cls, datetime):
        return {"type": "string", "format": "date-time"}
    raise SchemaError(f"{where}: no structural schema for {cls!r}")


def _item_schema(item: Any, where: str) -> Schema:
    schema = type_schema(item, [], where)
    if isinstance(item, type) and issubclass(item, BaseModel | enum.Enum):
        schema["description"] = describe(item.__doc__, item.__name__)
    return schema


def _union_schema(members: tuple[Any, ...], metadata: Sequence[Any], where: str) -> Schema:
    present = [m for m in members if m is not type(None)]
    if len(present) == 1:
        return type_schema(present[0], metadata, where)
    bases = {_base(m) for m in present}
    if bases == {int, str}:
        # Kubernetes' int-or-string: the only anyOf a structural schema may carry at this level.
        schema: Schema = {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
        }
        string_member = next(m for m in present if _base(m) is str)
        string_rules = _constrain({"type": "string"}, _annotated_metadata(string_member), where)
        string_rules.pop("type")
        schema.update(string_rules)
        return _constrain(schema, metadata, where)
    raise SchemaError(f"{where}: unions other than Optional[...] and int-or-string are not structural")


def _constrain(schema: Schema, metadata: Sequence[Any], where: str) -> Schema:
    for item in metadata:
        schema.update(_constraint(item, schema.get("type"), where))
    return schema


def _constraint(item: Any, kind: str | None, where: str) -> Schema:
    match item:
        case annotated_types.Ge(ge=bound):
            return {"minimum": bound}
        case annotated_types.Le(le=bound):
            return {"maximum": bound}
        case annotated_types.Gt(gt=bound):
            return {"minimum": bound, "exclusiveMinimum": True}
        case annotated_types.Lt(lt=bound):
            return {"maximum": bound, "exclusiveMaximum": True}
        case annotated_types.MaxLen(max_length=bound):
            return {_length_key("max", kind): bound}
        case annotated_types.MinLen(min_length=bound):
            return {_length_key("min", kind): bound}
    # pydantic keeps `Field(pattern=...)` in a general-metadata object; accept it only when the
    # pattern is all it carries, so other options (strict, ...) cannot vanish unnoticed.
    carried = getattr(item, "__dict__", {})
    if set(carried) == {"pattern"}:
        return {"pattern": carried["pattern"]}
    raise SchemaError(f"{where}: constraint {item!r} has no structural-schema translation")


def _length_key(prefix: str, kind: str | None) -> str:
    suffix = {"array": "Items", "object": "Properties"}.get(kind or "", "Length")
    return f"{prefix}{suffix}"


def _flatten(metadata: Sequence[Any]) -> list[Any]:
    """Unpack `Field(...)` objects nested in `Annotated[...]` into their plain constraints."""
    flat: list[Any] = []
    for item in metadata:
        flat.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return flat


def _annotated_metadata(annotation: Any) -> list[Any]:
    return _flatten(get_args(annotation)[1:]) if get_origin(annotation) is Annotated else []


def _base(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _scalar(value: Any, where: str) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool | int | float | str):
        return value
    raise SchemaError(f"{where}: default {value!r} is not a scalar a CRD can carry")


def _extra(extra: Any, where: str) -> Schema:
    if extra is None:
        return {}
    if isinstance(extra, Mapping):
        return dict(extra)
    raise SchemaError(f"{where}: json_schema_extra must be a dict of OpenAPI keys")


def describe(text: str | None, where: str) -> str:
    """Normalise a docstring into `kubectl explain` text: paragraphs kept, lines re-joined."""
    if not text or not text.strip():
        raise SchemaError(f"{where}: every field and model needs a description (attribute docstring)")
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def canonical(schema: Schema) -> Schema:
    """Sort schema keywords and property names so the output is stable and diff-friendly."""
    result: Schema = {}
    for key in sorted(schema):
        value = schema[key]
        if key == "properties":
            value = {name: canonical(value[name]) for name in sorted(value)}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            value = canonical(value)
        elif key == "anyOf":
            value = [canonical(v) for v in value]
        result[key] = value
    return result
