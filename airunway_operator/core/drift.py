"""Is the live object already what we would apply? A desired-subset comparison. Pure.

Every field we render must be present in the live object with an equal value; fields the API
server or another controller added (defaults, status, clusterIP, foreign labels) are allowed.
Lists must have the same length and match element by element. Server-side apply is idempotent,
so this test exists only to skip writes that would change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_IGNORED_METADATA = frozenset({"namespace", "resourceVersion", "uid", "generation", "managedFields"})


def in_sync(desired: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """True when applying `desired` would not change `live`."""
    for key, want in desired.items():
        if key == "metadata":
            meta = {k: v for k, v in want.items() if k not in _IGNORED_METADATA}
            if not contains(meta, live.get("metadata") or {}):
                return False
        elif not contains(want, live.get(key)):
            return False
    return True


def contains(want: Any, have: Any) -> bool:
    if isinstance(want, Mapping | list) and not want:
        return not have  # the API server omits empty maps and lists
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(contains(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return (
            isinstance(have, list)
            and len(want) == len(have)
            and all(contains(w, h) for w, h in zip(want, have, strict=True))
        )
    if (isinstance(want, int | float) and isinstance(have, str)) or (
        isinstance(want, str) and isinstance(have, int | float)
    ):
        return str(want) == str(have)
    return bool(want == have)
