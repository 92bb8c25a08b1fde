"""The value of `spec` that selection rules see: the spec as upstream's Go JSON round trip shapes it.

Upstream marshals the typed `ModelDeploymentSpec` with encoding/json and decodes it into generic
maps before evaluating CEL (SPEC-core §4.3). This module reproduces that value from our typed
model, field by field, following the Go declarations:

* `omitempty` scalars, maps and lists (nearly every field) are **absent** when zero: 0, false,
  "", empty maps and lists. So `resources.gpu.count: 0` disappears (the `gpu` map keeps `type`),
  `scaling.replicas: 0` disappears, false engine flags disappear.
* Struct pointers (`provider`, `serving`, `scaling`, `resources`, `gpu`, `storage`, `gateway`,
  `prefill`/`decode`, `podTemplate`, `secrets`, `valueFrom`, ...) are present whenever set, even
  when every field inside is zero (`resources: {}` stays `{}`).
* Scalar pointers keep explicit zeros: `engine.contextLength`, `gateway.enabled`,
  `volumes[].storageClassName`, `volumes[].size`, `tolerations[].tolerationSeconds` and the
  `optional` flags of env sources.
* Always present: `model` and `engine` (value structs; `engine` is `{}` when absent) and fields
  declared without `omitempty`: `volumes[].name`, `env[].name`, `fieldRef.fieldPath`,
  `resourceFieldRef.resource` and `.divisor` ("0" when unset, a Quantity value), the `key` of
  ConfigMap/Secret selectors and `volumeName`/`path`/`key` of file selectors.
* Numbers become doubles (JSON numbers decode to float64); quantities (`volumes[].size`,
  `resourceFieldRef.divisor`) become apimachinery's canonical text (`quantities`, e.g.
  `1.5Gi` -> `1536Mi`); `provider.overrides` is the raw JSON with its numbers as doubles.
* CRD defaults are part of the stored object, so the typed model's defaults (which are exactly
  the CRD defaults) appear as values: `serving.mode`, `model.source`, `gpu.type`,
  `engine.enablePrefixCaching: true` when `engine` exists.

Upstream evaluates the object its mutating webhook defaulted; we never write those defaults, so
`build` applies them (the rules of `sdk.effective`, SPEC-core §2.2: serving mode, scaling,
GPU count 1 for an explicit non-llamacpp engine, GPU types, volume paths/claims/access modes).
It then overlays the resolved engine into `engine.type` when the spec leaves it empty, as
upstream does for CEL only. Pure.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any, Final, TypeAlias, get_args

from airunway_operator.api import constants
from airunway_operator.api.constants import EngineType, ServingMode
from airunway_operator.api.corev1 import (
    ConfigMapKeySelector,
    EnvVar,
    FileKeySelector,
    ObjectFieldSelector,
    ResourceFieldSelector,
    SecretKeySelector,
    Toleration,
)
from airunway_operator.api.meta import ApiModel
from airunway_operator.api.modeldeployment import (
    EngineSpec,
    GatewaySpec,
    ModelDeploymentSpec,
    ProviderSpec,
    StorageVolume,
)
from airunway_operator.sdk import effective as defaults
from airunway_operator.selection import quantities
from airunway_operator.validation.quantity import QuantityError

JsonValue: TypeAlias = bool | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]


class CelInputError(ValueError):
    """The spec holds a value Go's JSON round trip would refuse (upstream then fails selection)."""


class _Kind(Enum):
    """How one Go field is marshalled."""

    OMIT_EMPTY = auto()  # value field with omitempty: absent when zero
    POINTER = auto()  # pointer field: absent only when nil
    ALWAYS = auto()  # no omitempty, or a struct value: always present
    QUANTITY = auto()  # resource.Quantity: canonical text
    RAW_JSON = auto()  # *runtime.RawExtension: the JSON as written


#: Every field that is not a plain omitempty value; struct pointers need no entry (a set struct
#: pointer is never omitted, see `_shape`).
_FIELD_KINDS: Final[Mapping[tuple[type[ApiModel], str], _Kind]] = {
    (ModelDeploymentSpec, "model"): _Kind.ALWAYS,
    (ModelDeploymentSpec, "engine"): _Kind.ALWAYS,
    (EngineSpec, "context_length"): _Kind.POINTER,
    (GatewaySpec, "enabled"): _Kind.POINTER,
    (ProviderSpec, "overrides"): _Kind.RAW_JSON,
    (StorageVolume, "name"): _Kind.ALWAYS,
    (StorageVolume, "size"): _Kind.QUANTITY,
    (StorageVolume, "storage_class_name"): _Kind.POINTER,
    (EnvVar, "name"): _Kind.ALWAYS,
    (ObjectFieldSelector, "field_path"): _Kind.ALWAYS,
    (ResourceFieldSelector, "resource"): _Kind.ALWAYS,
    (ResourceFieldSelector, "divisor"): _Kind.QUANTITY,
    (ConfigMapKeySelector, "key"): _Kind.ALWAYS,
    (ConfigMapKeySelector, "optional"): _Kind.POINTER,
    (SecretKeySelector, "key"): _Kind.ALWAYS,
    (SecretKeySelector, "optional"): _Kind.POINTER,
    (FileKeySelector, "volume_name"): _Kind.ALWAYS,
    (FileKeySelector, "path"): _Kind.ALWAYS,
    (FileKeySelector, "key"): _Kind.ALWAYS,
    (FileKeySelector, "optional"): _Kind.POINTER,
    (Toleration, "toleration_seconds"): _Kind.POINTER,
}

#: Go zero values of always-present fields the typed model leaves unset: the value structs
#: `model`/`engine` and the Quantity value `resourceFieldRef.divisor` (required strings are never unset).
_GO_ZEROS: Final[Mapping[tuple[type[ApiModel], str], JsonValue]] = {
    (ModelDeploymentSpec, "model"): {},
    (ModelDeploymentSpec, "engine"): {},
    (ResourceFieldSelector, "divisor"): "0",
}


def build(
    spec: ModelDeploymentSpec,
    deployment: str,
    resolved_engine: EngineType | None = None,
    fields: frozenset[str] | None = None,
) -> JsonObject:
    """The CEL value of `spec` as stored for the ModelDeployment named `deployment`.

    Upstream's webhook defaults are applied first, as upstream evaluates the defaulted object;
    `resolved_engine` is written into `engine.type` when the spec leaves it empty. With `fields`
    (wire names, see `cel.referenced_fields`) only those top-level fields are built: the rules
    cannot observe the others, and building and converting them is most of selection's cost.
    Raises CelInputError for values Go could not round-trip.
    """
    include = None if fields is None else {_ATTRIBUTES[key] for key in fields if key in _ATTRIBUTES}
    wire = spec.model_dump(mode="json", by_alias=True, exclude_none=True, include=include)
    _apply_webhook_defaults(wire, spec, deployment)
    if fields is not None:
        wire = {key: item for key, item in wire.items() if key in fields}
    try:
        value = _struct(wire, _shape(ModelDeploymentSpec), fields)
    except OverflowError as error:  # Go's decoder refuses numbers beyond float64
        raise CelInputError(f"json: a number overflows float64 ({error})") from error
    engine = value.get("engine")
    if resolved_engine is not None and isinstance(engine, dict) and not engine.get("type"):
        engine["type"] = resolved_engine.value
    return value


#: Wire name -> attribute name of the spec's top-level fields.
_ATTRIBUTES: Final = {info.alias or name: name for name, info in ModelDeploymentSpec.model_fields.items()}


def _apply_webhook_defaults(wire: dict[str, Any], spec: ModelDeploymentSpec, deployment: str) -> None:
    """`sdk.effective.effective_spec` applied to the dumped spec (SPEC-core §2.2); done on the
    dump because copying typed models costs more than the rest of selection. A test checks that
    building from the typed effective spec gives the same value."""
    mode = defaults.serving_mode(spec)
    wire.setdefault("serving", {"mode": mode.value})
    if spec.scaling is None and mode is ServingMode.AGGREGATED:
        wire["scaling"] = {"replicas": 1}
    if defaults.gpu_default_applies(spec):
        wire["resources"] = {"gpu": {"count": 1, "type": constants.DEFAULT_GPU_TYPE}}
    for gpu in _gpus(wire):
        gpu["type"] = gpu.get("type") or constants.DEFAULT_GPU_TYPE
    volumes = spec.model.storage.volumes if spec.model.storage is not None else None
    if volumes and "model" in wire:
        wire["model"]["storage"]["volumes"] = [
            defaults.effective_volume(volume, deployment).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            for volume in volumes
        ]


def _gpus(wire: dict[str, Any]) -> list[dict[str, Any]]:
    scaling = wire.get("scaling", {})
    holders = (wire.get("resources", {}), scaling.get("prefill", {}), scaling.get("decode", {}))
    return [holder["gpu"] for holder in holders if "gpu" in holder]


@dataclass(frozen=True)
class _Shape:
    """How one Go struct marshals, by wire name: plain omitempty values, nested structs (or lists
    of structs), fields of another kind, and the Go zeros of always-present fields."""

    omit_empty: frozenset[str]
    nested: Mapping[str, _Shape]
    kinds: Mapping[str, _Kind]
    zeros: Mapping[str, JsonValue]


@functools.cache
def _shape(model: type[ApiModel]) -> _Shape:
    omit_empty: set[str] = set()
    nested: dict[str, _Shape] = {}
    kinds: dict[str, _Kind] = {}
    zeros: dict[str, JsonValue] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = _FIELD_KINDS.get((model, name), _Kind.OMIT_EMPTY)
        struct = _nested_model(info.annotation)
        if struct is not None:
            nested[key] = _shape(struct)
        elif kind is _Kind.OMIT_EMPTY:
            omit_empty.add(key)
        else:
            kinds[key] = kind
        if (model, name) in _GO_ZEROS:
            zeros[key] = _GO_ZEROS[(model, name)]
    return _Shape(frozenset(omit_empty), nested, kinds, zeros)


def _nested_model(annotation: Any) -> type[ApiModel] | None:
    """The struct type inside `X | None` or `tuple[X, ...] | None`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, ApiModel):
        return annotation
    return next((found for arg in get_args(annotation) if (found := _nested_model(arg))), None)


def _struct(wire: Mapping[str, Any], shape: _Shape, only: frozenset[str] | None = None) -> JsonObject:
    """One dumped struct in Go's shape (its always-present fields limited to `only`, if given).
    The hot path of selection: one loop, few calls."""
    encoded: JsonObject = {}
    omit_empty, nested = shape.omit_empty, shape.nested
    for key, value in wire.items():
        if key in omit_empty:
            if value:  # for JSON values Go's "empty" (false, 0, "", {}, []) is exactly falsy
                encoded[key] = _json(value)
        elif key in nested:
            if value.__class__ is not list:  # a set struct pointer or struct value: never omitted
                encoded[key] = _struct(value, nested[key])
            elif value:  # a list of structs: omitempty applies to the list
                encoded[key] = [_struct(item, nested[key]) for item in value]
        elif shape.kinds[key] is _Kind.QUANTITY:
            encoded[key] = _quantity(value)
        else:  # pointers, always-present fields and raw JSON keep their value as it is
            encoded[key] = _json(value)
    for key, zero in shape.zeros.items():
        if key not in encoded and (only is None or key in only):
            encoded[key] = dict(zero) if isinstance(zero, dict) else zero
    return encoded


def _json(value: Any) -> JsonValue:
    """Dumped JSON as Go decodes it into `any`: numbers become float64 (OverflowError beyond its
    range), the rest stays. A JSON dump holds exactly these classes."""
    kind = value.__class__
    if kind is str or kind is bool or value is None:
        return value  # type: ignore[no-any-return]
    if kind is int or kind is float:
        return float(value)
    if kind is dict:
        return {key: _json(item) for key, item in value.items()}
    if kind is list:
        return [_json(item) for item in value]
    raise CelInputError(f"unsupported JSON value of type {kind.__name__}")


def _quantity(value: int | str) -> str:
    try:
        return quantities.canonical_text(value)
    except QuantityError as error:
        raise CelInputError(str(error)) from error
