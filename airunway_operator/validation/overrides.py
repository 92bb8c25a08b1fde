"""Rules for `spec.provider.overrides` (SPEC-core §2.3 rows 5-8; SPEC-providers decision D10).

Overrides are deep-merged into whatever a provider renders, so they must be a JSON object and
may not carry security-sensitive keys or sizing keys anywhere (objects and arrays are searched;
keys match exactly and case-sensitively; the subtree of a matched key is not searched further).
The walk is iterative so deeply nested input cannot exhaust the stack. Pure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, Final

from airunway_operator.validation import paths
from airunway_operator.validation import spec as spec_rules
from airunway_operator.validation.result import ErrorKind, FieldError

SECURITY_KEYS: Final = frozenset(
    {
        "securityContext",
        "serviceAccountName",
        "serviceAccount",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "automountServiceAccountToken",
        "nodeName",
        "priorityClassName",
        "runtimeClassName",
    }
)
SIZING_KEYS: Final = frozenset({"replicas", "resources"})

#: (field path, keys and array positions from the overrides root, value)
_Node = tuple[str, tuple[str | int, ...], Any]
_Keys = tuple[str | int, ...]


def check(provider_block: Mapping[str, Any], provider_name: str | None) -> list[FieldError]:
    """Every problem of the raw `spec.provider` block's `overrides` (absent or null: none)."""
    value = provider_block.get("overrides")
    if value is None:
        return []
    if not _is_json(value):
        message = f"spec.provider.overrides must be valid JSON ({_redacted(value)}); fix the value"
        return [FieldError(paths.OVERRIDES, ErrorKind.INVALID, message)]
    if not isinstance(value, Mapping):
        message = (
            f"spec.provider.overrides must be a JSON object ({_redacted(value)}); wrap the settings in keys"
        )
        return [FieldError(paths.OVERRIDES, ErrorKind.INVALID, message)]
    return list(_forbidden_keys(value, provider_name))


def _forbidden_keys(root: Mapping[str, Any], provider_name: str | None) -> Iterator[FieldError]:
    """Pre-order walk in document order; a forbidden key is reported and its subtree skipped."""
    plugin = spec_rules.provider_plugin(provider_name)
    allowed = plugin.allowed_override_paths if plugin is not None else frozenset[str]()
    stack: list[_Node] = [(paths.OVERRIDES, (), root)]
    while stack:
        path, keys, value = stack.pop()
        if keys and _is_forbidden(keys, value, allowed):
            yield _forbidden(path, str(keys[-1]))
            continue
        stack.extend(reversed(list(_children(path, keys, value))))


def _children(path: str, keys: _Keys, value: Any) -> Iterator[_Node]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield paths.child(path, key), (*keys, str(key)), child
    elif isinstance(value, list | tuple):
        for position, child in enumerate(value):
            yield paths.index(path, position), (*keys, position), child


def _is_forbidden(keys: _Keys, value: Any, allowed: frozenset[str]) -> bool:
    key = keys[-1]
    if not isinstance(key, str):
        return False
    if key in SECURITY_KEYS:
        return True
    return key in SIZING_KEYS and not _is_allowed(keys, value, allowed)


def _is_allowed(keys: _Keys, value: Any, allowed: frozenset[str]) -> bool:
    """A sizing key the named provider allows (its `allowed_override_paths`, e.g. Dynamo's
    `frontend.replicas`, D10): its path is allowed, or it is a map whose every entry leads to
    allowed paths only (`frontend.resources` holding just `cpu` and `memory`)."""
    if not allowed or not all(isinstance(key, str) for key in keys):
        return False
    return _within(".".join(str(key) for key in keys), value, allowed)


def _within(path: str, value: Any, allowed: frozenset[str]) -> bool:
    if path in allowed:
        return True
    if not isinstance(value, Mapping) or not any(entry.startswith(f"{path}.") for entry in allowed):
        return False
    return all(_within(f"{path}.{key}", child, allowed) for key, child in value.items())


def _forbidden(path: str, key: str) -> FieldError:
    if key in SECURITY_KEYS:
        message = f"{path} is not allowed: overrides may not set {key!r} for security reasons; remove it"
    else:
        message = (
            f"{path} is not allowed: overrides may not set {key!r}, which would bypass the admission limits; "
            "use spec.scaling or spec.resources instead"
        )
    return FieldError(path, ErrorKind.FORBIDDEN, message)


def _is_json(root: object) -> bool:
    """Whether `root` is plain JSON data: objects with string keys, arrays, strings, finite numbers."""
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if not all(isinstance(key, str) for key in value):
                return False
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif not _is_json_scalar(value):
            return False
    return True


def _is_json_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int)


def _redacted(value: object) -> str:
    """The value is never echoed (it may hold secrets); only its size is shown."""
    try:
        size = len(json.dumps(value, separators=(",", ":"), default=str).encode())
    except (TypeError, ValueError, RecursionError):
        return "<redacted>"
    return f"<redacted {size} bytes>"
