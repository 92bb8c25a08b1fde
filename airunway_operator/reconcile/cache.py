"""The latest known body of every ModelDeployment, and one lock per object.

Shared by the core and every in-process provider so that they work on the newest object (a write's
response counts as newer than the watch event that preceded it) and never interleave their writes
on the same object. Bodies are kept without `metadata.managedFields`, which nothing reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any


def key_of(body: Mapping[str, Any]) -> str:
    meta = body.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def resource_version(body: Mapping[str, Any]) -> int:
    try:
        return int((body.get("metadata") or {}).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


def slim(body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` without the fields no pass reads (managed fields)."""
    meta = body.get("metadata") or {}
    if "managedFields" not in meta:
        return dict(body)
    return {**body, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def _inputs(body: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a pass decides from, apart from status (which the operator itself writes)."""
    meta = body.get("metadata") or {}
    return (
        meta.get("generation"),
        meta.get("labels"),
        meta.get("annotations"),
        meta.get("deletionTimestamp"),
    )


class ObjectCache:
    def __init__(self) -> None:
        self._bodies: dict[str, Mapping[str, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._written: dict[str, int] = {}

    def store(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Keep `body` unless a newer one is known; return the newest."""
        key = key_of(body)
        current = self._bodies.get(key)
        if current is None or resource_version(body) >= resource_version(current):
            self._bodies[key] = slim(body)
        return self._bodies[key]

    def store_written(self, sent_from: Mapping[str, Any], response: Mapping[str, Any]) -> Mapping[str, Any]:
        """Keep the response of our own write, made by a pass that read `sent_from`. When the
        response differs from it only in what we wrote (status, finalizers), its watch event is
        an echo that no pass needs to see (`is_echo`); a change someone else made meanwhile (a
        new generation, labels, annotations, deletion) makes it a real event."""
        key = key_of(response)
        if _inputs(sent_from) == _inputs(response):
            self._written[key] = resource_version(response)
        else:
            self._written.pop(key, None)
        return self.store(response)

    def is_echo(self, body: Mapping[str, Any]) -> bool:
        """`body` is exactly the version our last write produced (see `store_written`)."""
        written = self._written.get(key_of(body))
        return written is not None and written == resource_version(body)

    def get(self, key: str) -> Mapping[str, Any] | None:
        return self._bodies.get(key)

    def forget(self, key: str) -> None:
        self._bodies.pop(key, None)
        self._locks.pop(key, None)
        self._written.pop(key, None)

    def busy(self, key: str) -> bool:
        """A pass of `key` holds its lock right now."""
        lock = self._locks.get(key)
        return lock is not None and lock.locked()

    def lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def items(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        return iter(list(self._bodies.items()))
