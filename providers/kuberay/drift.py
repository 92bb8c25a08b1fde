"""Keeping a live RayService in sync: desired-subset comparison and full replace (§4.4, D12).

Upstream compares the whole raw `spec`, so fields the API server defaults (`numOfHosts`, ...)
make it rewrite the RayService on every pass. Here a live object is in sync when every desired
leaf holds its desired value, after dropping empty strings, empty maps and nulls on both sides
(list elements are compared in order, each as a subset, and kept even when empty). Fields only
the live object has are not drift. Out of sync → the whole desired object, carrying the live
resourceVersion (a concurrent write is a 409, which the runtime retries at once without touching
status), the live finalizers and annotations this provider does not set (D21). Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from providers import common
from providers.base import Manifest


def sync_replace(desired: Manifest, live: Manifest) -> Manifest | None:
    """The object to PUT over `live`, or None when `live` already holds everything desired."""
    if is_in_sync(desired, live):
        return None
    body = copy.deepcopy(desired)
    metadata = body["metadata"]
    live_metadata = _map(live.get("metadata"))
    metadata["resourceVersion"] = live_metadata.get("resourceVersion")
    annotations = {**_map(live_metadata.get("annotations")), **_map(metadata.get("annotations"))}
    if annotations:
        metadata["annotations"] = annotations
    if live_metadata.get("finalizers"):
        metadata["finalizers"] = list(live_metadata["finalizers"])
    return body


def is_in_sync(desired: Manifest, live: Manifest) -> bool:
    """Every desired `spec` leaf, label and annotation holds on `live` (empty values dropped)."""
    wanted_meta, live_meta = _map(desired.get("metadata")), _map(live.get("metadata"))
    pairs = [
        (desired.get("spec"), live.get("spec")),
        (wanted_meta.get("labels"), live_meta.get("labels")),
        (wanted_meta.get("annotations"), live_meta.get("annotations")),
    ]
    return all(covers(strip_empty(_map(wanted)), strip_empty(_map(actual))) for wanted, actual in pairs)


def strip_empty(value: Any) -> Any:
    """`value` with empty strings, empty maps and nulls removed from every map, recursively;
    list elements are walked but kept."""
    if isinstance(value, Mapping):
        stripped = {key: strip_empty(item) for key, item in value.items()}
        return {key: item for key, item in stripped.items() if not _is_empty(item)}
    if isinstance(value, list):
        return [strip_empty(item) for item in value]
    return value


def covers(wanted: Any, actual: Any) -> bool:
    """Does `actual` hold `wanted`? Maps by their wanted keys, lists element-wise in order and of
    equal length, anything else by JSON value."""
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and covers(item, actual[key]) for key, item in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(wanted) == len(actual)
            and all(covers(a, b) for a, b in zip(wanted, actual, strict=True))
        )
    if wanted is None:
        return actual is None
    return common.json_equal(wanted, actual)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, Mapping) and not value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
