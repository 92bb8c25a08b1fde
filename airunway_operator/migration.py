"""Rewrite legacy InferenceProviderConfig capabilities into the per-engine form (SPEC-core §8.1 step 3).

Before per-engine capabilities existed, `spec.capabilities` held flat keys (`servingModes`,
`gpuSupport`, `cpuSupport`, `requiresCRD`, `gateway`) and `engines` was a list of engine names.
This module decides, for one object, what the capabilities should become:

* no `spec.capabilities`, or not a mapping → unchanged;
* `engines` missing or empty → the legacy keys are dropped ("cleaned");
* `engines` already objects → legacy values fill each engine's absent fields, then the legacy
  keys are dropped ("hoisted");
* `engines` a list of names → each name becomes an engine object built from the legacy values
  ("migrated").

Keys that are neither `engines` nor legacy are kept. A legacy value of the wrong type counts as
absent, as upstream's unstructured accessors treat it; a malformed `engines` list is reported as
an error and the object is left alone.

Pure: no client, no logging; inputs are never mutated. Mirrors upstream's
controller/internal/controller/migration.go.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

#: Flat keys of the old capabilities shape. Upstream keeps the hazard that a future top-level
#: capabilities field with one of these names would be stripped by the migration.
LEGACY_KEYS: Final = ("servingModes", "gpuSupport", "cpuSupport", "requiresCRD", "gateway")


class Kind(StrEnum):
    """What the migration did (or would do) to one object."""

    UNCHANGED = "unchanged"
    CLEANED = "cleaned"
    HOISTED = "hoisted"
    MIGRATED = "migrated"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    """The decision for one object: the new `spec.capabilities` when it changed, else None."""

    kind: Kind
    capabilities: dict[str, Any] | None = None
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.capabilities is not None


UNCHANGED: Final = Outcome(Kind.UNCHANGED)


@dataclass(frozen=True)
class _Legacy:
    """The legacy flat values; a value of the wrong type reads as absent (false for the two bools)."""

    gpu_support: bool
    cpu_support: bool
    serving_modes: list[str] | None
    requires_crd: bool | None
    gateway: Mapping[str, Any] | None

    @classmethod
    def read(cls, capabilities: Mapping[str, Any]) -> _Legacy:
        modes = capabilities.get("servingModes")
        gateway = capabilities.get("gateway")
        requires_crd = capabilities.get("requiresCRD")
        return cls(
            gpu_support=capabilities.get("gpuSupport") is True,
            cpu_support=capabilities.get("cpuSupport") is True,
            serving_modes=list(modes) if _is_string_list(modes) and modes else None,
            requires_crd=requires_crd if isinstance(requires_crd, bool) else None,
            gateway=gateway if isinstance(gateway, Mapping) and gateway else None,
        )

    def fields(self) -> dict[str, Any]:
        """The engine fields these values supply, in the order upstream writes them."""
        fields: dict[str, Any] = {"gpuSupport": self.gpu_support, "cpuSupport": self.cpu_support}
        if self.serving_modes is not None:
            fields["servingModes"] = list(self.serving_modes)
        if self.requires_crd is not None:
            fields["requiresCRD"] = self.requires_crd
        if self.gateway is not None:
            fields["gateway"] = copy.deepcopy(dict(self.gateway))
        return fields


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def has_legacy_keys(capabilities: Mapping[str, Any]) -> bool:
    return any(key in capabilities for key in LEGACY_KEYS)


def _without_legacy(capabilities: Mapping[str, Any], engines: list[Any] | None) -> dict[str, Any]:
    result = {k: copy.deepcopy(v) for k, v in capabilities.items() if k not in LEGACY_KEYS}
    if engines is not None:
        result["engines"] = engines
    return result


def _filled(engine: Mapping[str, Any], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """The engine with the supplied values added where it has no value of its own."""
    return {**copy.deepcopy(dict(engine)), **{k: v for k, v in supplied.items() if k not in engine}}


def _hoist(capabilities: Mapping[str, Any], engines: Sequence[Any]) -> Outcome:
    if not has_legacy_keys(capabilities):
        return UNCHANGED
    for index, engine in enumerate(engines):
        if not isinstance(engine, Mapping):
            return _error(
                f"spec.capabilities.engines[{index}] is {_json_type(engine)} where an engine object is "
                "expected; fix or remove the entry"
            )
    legacy = _Legacy.read(capabilities)
    # fields() builds fresh values on every call, so no two engines share a list or map.
    hoisted = [_filled(engine, legacy.fields()) for engine in engines]
    return Outcome(Kind.HOISTED, _without_legacy(capabilities, hoisted))


def _convert(capabilities: Mapping[str, Any], engines: Sequence[Any]) -> Outcome:
    for index, engine in enumerate(engines):
        if not isinstance(engine, str):
            return _error(
                f"spec.capabilities.engines[{index}] is {_json_type(engine)} in a list of engine names; "
                "make every entry a name"
            )
    legacy = _Legacy.read(capabilities)
    converted = [{"name": name, **legacy.fields()} for name in engines]
    return Outcome(Kind.MIGRATED, _without_legacy(capabilities, converted))


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    return "null" if value is None else "an array"


def _error(message: str) -> Outcome:
    return Outcome(Kind.ERROR, error=message)


def migrate(capabilities: Mapping[str, Any]) -> Outcome:
    """Decide how one object's `spec.capabilities` is rewritten into the per-engine form."""
    engines = capabilities.get("engines")
    if engines is not None and not isinstance(engines, list):
        return _error(f"spec.capabilities.engines is {_json_type(engines)}, not a list of engines")
    if not engines:
        if not has_legacy_keys(capabilities):
            return UNCHANGED
        return Outcome(Kind.CLEANED, _without_legacy(capabilities, None))
    # Upstream tells the two shapes apart by the first entry only; the rest must then agree.
    if isinstance(engines[0], str):
        return _convert(capabilities, engines)
    return _hoist(capabilities, engines)


def capabilities_of(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`spec.capabilities` of an object body, or None when absent or not a mapping."""
    spec = body.get("spec")
    capabilities = spec.get("capabilities") if isinstance(spec, Mapping) else None
    return capabilities if isinstance(capabilities, Mapping) else None


def migrate_body(body: Mapping[str, Any]) -> Outcome:
    """`migrate` applied to a whole object; objects without usable capabilities are untouched."""
    capabilities = capabilities_of(body)
    return UNCHANGED if capabilities is None else migrate(capabilities)


def with_capabilities(body: Mapping[str, Any], capabilities: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `body` whose `spec.capabilities` is replaced; everything else is kept as read."""
    result = copy.deepcopy(dict(body))
    result["spec"] = {**result["spec"], "capabilities": copy.deepcopy(dict(capabilities))}
    return result
