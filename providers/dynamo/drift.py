"""Keeping a live DynamoGraphDeployment in sync: full replace when `spec` differs (§3.6, D21).

The comparison drops empty strings and empty maps recursively on both sides (list elements are
walked, never dropped), as upstream does, so values the API server leaves out or fills with ""
do not count as drift. The replacement carries the live resourceVersion, the desired labels and
owner reference, and keeps annotations and finalizers others put there (D21). Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from providers import common
from providers.base import Manifest


def sync_replace(desired: Manifest, live: Manifest) -> Manifest | None:
    """The full object to PUT over `live`, or None when its spec already says what we want."""
    if common.json_equal(prune(desired.get("spec")), prune(live.get("spec"))):
        return None
    live_meta: Mapping[str, Any] = live.get("metadata") or {}
    body = copy.deepcopy(desired)
    meta = body["metadata"]
    meta["resourceVersion"] = live_meta.get("resourceVersion")
    annotations = {**(live_meta.get("annotations") or {}), **(meta.get("annotations") or {})}
    if annotations:
        meta["annotations"] = annotations
    if live_meta.get("finalizers"):
        meta["finalizers"] = list(live_meta["finalizers"])
    return body


def prune(value: Any) -> Any:
    """`value` without empty strings and empty maps, recursively (maps emptied by pruning go too)."""
    if isinstance(value, Mapping):
        pruned = {key: prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item != "" and item != {}}
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value
