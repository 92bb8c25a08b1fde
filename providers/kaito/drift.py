"""Keeping a live Workspace in sync: three-way merge against the last-applied annotation (§2.5).

The desired Workspace carries `airunway.ai/kaito-last-applied`: compact JSON, keys sorted, of what
this operator wrote (`annotations` without itself, `inference`, `labels`, `resource`), byte-identical
to upstream's. A live Workspace is in sync when every desired field holds its desired value, no
field this operator wrote before (and no longer wants) is still there, and the annotation is
current. Otherwise the JSON merge patch writes the desired fields over the live object, deletes what
was applied before but is no longer desired, and leaves everything else (KAITO's defaults such as
`inference.preset.accessMode`, foreign labels and annotations) alone. Pure. Mirrors upstream
`providers/kaito/controller.go` (createOrUpdateResource and its helpers).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from providers import common
from providers.base import Manifest

LAST_APPLIED: Final = "airunway.ai/kaito-last-applied"
MANAGED_FIELDS: Final = ("resource", "inference")
"""The top-level Workspace maps this operator owns."""

Json = dict[str, Any]


@dataclass(frozen=True)
class LastApplied:
    """What the previous write recorded. Maps are None when absent (which is not the same as
    empty: without a record, unknown label-selector keys count as ours)."""

    fields: Mapping[str, Json | None]
    labels: Mapping[str, str] | None = None
    annotations: Mapping[str, str] | None = None


NOTHING_APPLIED: Final = LastApplied({field: None for field in MANAGED_FIELDS})


def last_applied(workspace: Mapping[str, Any]) -> str:
    """The annotation value recording `workspace`'s owned fields."""
    metadata = workspace.get("metadata") or {}
    record: Json = {
        "labels": dict(metadata.get("labels") or {}),
        "annotations": _own_annotations(metadata.get("annotations")),
    }
    for field in MANAGED_FIELDS:
        if isinstance(workspace.get(field), Mapping):
            record[field] = workspace[field]
    return common.go_json(record, sort_keys=True)


def with_last_applied(workspace: Manifest) -> Manifest:
    """A copy of `workspace` carrying its own last-applied annotation."""
    stamped = copy.deepcopy(workspace)
    metadata = stamped.setdefault("metadata", {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), LAST_APPLIED: last_applied(workspace)}
    return stamped


def recorded(live: Mapping[str, Any]) -> LastApplied:
    """The live object's record; a missing or unreadable annotation is `NOTHING_APPLIED` (legacy)."""
    text = _annotations(live).get(LAST_APPLIED, "")
    try:
        record = json.loads(text) if text else None
    except ValueError:
        return NOTHING_APPLIED
    if not isinstance(record, dict):
        return NOTHING_APPLIED
    return LastApplied(
        fields={field: _map_or_none(record.get(field)) for field in MANAGED_FIELDS},
        labels=_string_map(record.get("labels")),
        annotations=_string_map(record.get("annotations")),
    )


def sync_patch(desired: Manifest, live: Manifest) -> Manifest | None:
    """The JSON merge patch bringing `live` in sync with `desired`, or None when it is in sync."""
    desired = with_last_applied(desired)
    previous = recorded(live)
    if is_in_sync(desired, live, previous):
        return None
    return common.merge_patch_from(live, merged(desired, live, previous)) or None


def is_in_sync(desired: Mapping[str, Any], live: Mapping[str, Any], previous: LastApplied) -> bool:
    fields_match = all(
        _fields_match(_map(desired.get(field)), _map(live.get(field)), previous.fields[field], (field,))
        for field in MANAGED_FIELDS
    )
    return (
        fields_match
        and _strings_match(_labels(desired), _labels(live), previous.labels)
        and _strings_match(
            _own_annotations(_annotations(desired)),
            _own_annotations(_annotations(live)),
            previous.annotations,
        )
        and _annotations(live).get(LAST_APPLIED, "") == _annotations(desired).get(LAST_APPLIED, "")
    )


def merged(desired: Mapping[str, Any], live: Mapping[str, Any], previous: LastApplied) -> Json:
    """`live` with the desired owned fields written over it and the no-longer-desired ones gone."""
    result = copy.deepcopy(dict(live))
    for field in MANAGED_FIELDS:
        if isinstance(desired.get(field), Mapping):
            result[field] = _merge(_map(result.get(field)), desired[field], previous.fields[field], (field,))
        elif previous.fields[field] is not None:
            result.pop(field, None)
    metadata = result.setdefault("metadata", {})
    _set_or_drop(metadata, "labels", _merge_strings(_labels(live), _labels(desired), previous.labels))
    annotations = _merge_strings(
        _own_annotations(_annotations(live)), _own_annotations(_annotations(desired)), previous.annotations
    )
    if stamp := _annotations(desired).get(LAST_APPLIED, ""):
        annotations = {**(annotations or {}), LAST_APPLIED: stamp}
    _set_or_drop(metadata, "annotations", annotations)
    return result


def _fields_match(desired: Json, live: Json, previous: Json | None, path: tuple[str, ...]) -> bool:
    for key, value in desired.items():
        if key not in live:
            return False
        if isinstance(value, Mapping) and isinstance(live[key], Mapping):
            if not _fields_match(dict(value), dict(live[key]), _nested(previous, key), (*path, key)):
                return False
        elif not common.json_equal(value, live[key]):
            return False
    return not any(_is_stale(key, previous, path) for key in live if key not in desired)


def _merge(live: Json, desired: Mapping[str, Any], previous: Json | None, path: tuple[str, ...]) -> Json:
    result = copy.deepcopy(live)
    for key, value in desired.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _merge(result[key], value, _nested(previous, key), (*path, key))
        else:
            result[key] = copy.deepcopy(value)
    for key in [key for key in result if key not in desired]:
        if _is_stale(key, previous, path):
            del result[key]
    return result


def _is_stale(key: str, previous: Json | None, path: tuple[str, ...]) -> bool:
    """An extra live key is ours to delete when the previous write set it; without any record at
    this level, unknown keys of `resource.labelSelector` and its `matchLabels` count as ours."""
    if previous is not None:
        return key in previous
    return path in (("resource", "labelSelector"), ("resource", "labelSelector", "matchLabels"))


def _strings_match(
    desired: Mapping[str, str], live: Mapping[str, str], previous: Mapping[str, str] | None
) -> bool:
    if any(live.get(key) != value for key, value in desired.items()):
        return False
    return not any(key in (previous or {}) for key in live if key not in desired)


def _merge_strings(
    live: Mapping[str, str], desired: Mapping[str, str], previous: Mapping[str, str] | None
) -> dict[str, str] | None:
    if not live and not desired:
        return None
    result = {**live, **desired}
    for key in [key for key in result if key not in desired and key in (previous or {})]:
        del result[key]
    return result or None


def _set_or_drop(metadata: Json, key: str, value: dict[str, str] | None) -> None:
    if value is None:
        metadata.pop(key, None)
    else:
        metadata[key] = value


def _nested(previous: Json | None, key: str) -> Json | None:
    return _map_or_none(previous.get(key)) if previous is not None else None


def _map(value: Any) -> Json:
    return dict(value) if isinstance(value, Mapping) else {}


def _map_or_none(value: Any) -> Json | None:
    return dict(value) if isinstance(value, Mapping) else None


def _string_map(value: Any) -> dict[str, str] | None:
    """Upstream reads a recorded label/annotation map only when every value is a string."""
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        return None
    return dict(value)


def _labels(workspace: Mapping[str, Any]) -> dict[str, str]:
    return dict((workspace.get("metadata") or {}).get("labels") or {})


def _annotations(workspace: Mapping[str, Any]) -> dict[str, str]:
    return dict((workspace.get("metadata") or {}).get("annotations") or {})


def _own_annotations(annotations: Mapping[str, str] | None) -> dict[str, str]:
    return {key: value for key, value in (annotations or {}).items() if key != LAST_APPLIED}
