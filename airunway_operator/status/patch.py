"""The smallest JSON merge patch (RFC 7386) that turns an observed document into the desired one.

Only keys named in `desired` are considered, so fields owned by someone else (a provider's
replicas, say) are never touched. A desired value of None deletes the key. Lists are compared
whole, as merge patch replaces them whole. Returns None when nothing would change, so callers
skip the API request entirely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_patch(observed: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> dict[str, Any] | None:
    observed = observed or {}
    patch: dict[str, Any] = {}
    for key, want in desired.items():
        have = observed.get(key)
        if want is None:
            if key in observed and have is not None:
                patch[key] = None
        elif isinstance(want, Mapping) and isinstance(have, Mapping):
            nested = merge_patch(have, want)
            if nested is not None:
                patch[key] = nested
        elif want != have:
            patch[key] = want
    return patch or None


def applied(observed: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> dict[str, Any]:
    """`observed` after writing `desired` as a merge patch (None deletes, mappings merge)."""
    result = dict(observed or {})
    for key, want in desired.items():
        if want is None:
            result.pop(key, None)
        elif isinstance(want, Mapping):
            have = result.get(key)
            result[key] = applied(have if isinstance(have, Mapping) else {}, want)
        else:
            result[key] = want
    return result


def combined(first: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
    """Desired fields that say what writing `first`, then `then`, would say (`then` wins)."""
    result = dict(first)
    for key, want in then.items():
        have = result.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            result[key] = combined(have, want)
        else:
            result[key] = want
    return result
