"""Dynamo's typed overrides (decision D10): `routerMode`, `frontend.*` and `epp.*`.

Upstream reads them as settings of the Frontend and the Endpoint Picker and also merges them into
the DynamoGraphDeployment root, where the schema has no such fields. Here they are read, then
removed before the remaining overrides are deep-merged. Values of the wrong type are ignored at
render time and named by an admission warning. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from airunway_operator.sdk import ModelDeployment

ROUTER_MODE: Final = "routerMode"
FRONTEND: Final = "frontend"
EPP: Final = "epp"
TYPED_KEYS: Final = (ROUTER_MODE, FRONTEND, EPP)

_INTEGERS: Final = frozenset({"frontend.replicas", "epp.replicas"})
_STRINGS: Final = frozenset(
    {"routerMode", "frontend.resources.cpu", "frontend.resources.memory", "epp.image"}
)
ALLOWED_PATHS: Final = _INTEGERS | _STRINGS
"""Every typed path; admission lets these through although some hold sizing keys (D10)."""


@dataclass(frozen=True)
class TypedOverrides:
    router_mode: str | None = None
    frontend_replicas: int | None = None
    frontend_cpu: str | None = None
    frontend_memory: str | None = None
    epp_replicas: int | None = None
    epp_image: str | None = None


def raw(md: ModelDeployment) -> Mapping[str, Any]:
    provider = md.spec.provider
    overrides = provider.overrides if provider is not None else None
    return overrides if isinstance(overrides, Mapping) else {}


def typed(md: ModelDeployment) -> TypedOverrides:
    """The typed settings; a value of the wrong type counts as unset."""
    leaves = dict(_leaves(raw(md)))
    return TypedOverrides(
        router_mode=_string(leaves.get("routerMode")),
        frontend_replicas=_count(leaves.get("frontend.replicas")),
        frontend_cpu=_string(leaves.get("frontend.resources.cpu")),
        frontend_memory=_string(leaves.get("frontend.resources.memory")),
        epp_replicas=_count(leaves.get("epp.replicas")),
        epp_image=_string(leaves.get("epp.image")),
    )


def without_typed(md: ModelDeployment) -> ModelDeployment:
    """`md` whose overrides no longer carry the typed keys (the rest is merged as usual)."""
    overrides = raw(md)
    if not any(key in overrides for key in TYPED_KEYS) or md.spec.provider is None:
        return md
    rest = {key: value for key, value in overrides.items() if key not in TYPED_KEYS}
    provider = md.spec.provider.model_copy(update={"overrides": rest})
    return md.model_copy(update={"spec": md.spec.model_copy(update={"provider": provider})})


def unusable(md: ModelDeployment) -> list[str]:
    """Dotted paths under the typed keys that are not typed settings, or hold the wrong type."""
    return [path for path, value in _leaves(raw(md)) if not _is_usable(path, value)]


def _is_usable(path: str, value: Any) -> bool:
    if path not in ALLOWED_PATHS:
        return False
    return value is None or (_count(value) if path in _INTEGERS else _string(value)) is not None


def _leaves(overrides: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(dotted path, value) of everything below the typed keys; maps are walked, the rest is a leaf."""
    found: list[tuple[str, Any]] = []
    stack = [(key, overrides[key]) for key in reversed(TYPED_KEYS) if key in overrides]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping) and path != ROUTER_MODE:
            stack.extend((f"{path}.{key}", value[key]) for key in reversed(list(value)))
        else:
            found.append((path, value))
    return found


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None
