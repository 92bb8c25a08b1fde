"""Upsert conditions with Kubernetes `SetStatusCondition` semantics, on plain wire dicts.

Reason, message and observedGeneration are always refreshed; lastTransitionTime changes only
when the status value changes. Conditions of other types are kept untouched and in order.
Pure: the caller passes the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

Conditions = list[dict[str, Any]]


def timestamp(now: datetime) -> str:
    """RFC 3339 with second precision, as the API server stores metav1.Time."""
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def find(conditions: Iterable[Mapping[str, Any]] | None, type_: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions or () if c.get("type") == type_), None)


def set_condition(
    conditions: Iterable[Mapping[str, Any]] | None,
    type_: str,
    status: bool | str,
    reason: str,
    message: str,
    *,
    generation: int | None,
    now: datetime,
) -> Conditions:
    """Return a new list with `type_` set; the input is not modified."""
    value = status if isinstance(status, str) else ("True" if status else "False")
    result: Conditions = []
    replaced = False
    for existing in conditions or ():
        if existing.get("type") != type_:
            result.append(dict(existing))
            continue
        changed = existing.get("status") != value
        result.append(
            _condition(type_, value, reason, message, generation, now if changed else None, existing)
        )
        replaced = True
    if not replaced:
        result.append(_condition(type_, value, reason, message, generation, now, None))
    return result


def _condition(
    type_: str,
    status: str,
    reason: str,
    message: str,
    generation: int | None,
    transitioned: datetime | None,
    previous: Mapping[str, Any] | None,
) -> dict[str, Any]:
    when = timestamp(transitioned) if transitioned is not None else (previous or {}).get("lastTransitionTime")
    condition: dict[str, Any] = {"type": type_, "status": status, "lastTransitionTime": when}
    condition["reason"] = reason
    condition["message"] = message
    if generation is not None:
        condition["observedGeneration"] = generation
    return condition


def remove(conditions: Iterable[Mapping[str, Any]] | None, type_: str) -> Conditions:
    return [dict(c) for c in conditions or () if c.get("type") != type_]
