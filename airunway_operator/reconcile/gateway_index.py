"""Every Gateway in the cluster, as the Gateway watch reports it, so that choosing one costs no read.

Primed by one list when the gateway controller first needs it (the watch alone cannot say when it
has seen every Gateway), then kept current by the watch's events, the newer resourceVersion
winning. Emptied when the Gateway API CRDs go away. Listed in the API server's order (namespace,
then name), which the choice among several labelled Gateways follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airunway_operator.reconcile.cache import resource_version, slim


def _key(body: Mapping[str, Any]) -> tuple[str, str]:
    meta = body.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class GatewayIndex:
    def __init__(self) -> None:
        self._bodies: dict[tuple[str, str], dict[str, Any]] = {}
        self.primed = False

    def prime(self, listed: Iterable[Mapping[str, Any]]) -> None:
        """The answer of a list: every Gateway (events already seen keep their newer bodies)."""
        for body in listed:
            self.store(body)
        self.primed = True

    def store(self, body: Mapping[str, Any]) -> None:
        key = _key(body)
        current = self._bodies.get(key)
        if current is None or resource_version(body) >= resource_version(current):
            self._bodies[key] = slim(body)

    def deleted(self, body: Mapping[str, Any]) -> None:
        key = _key(body)
        current = self._bodies.get(key)
        if current is not None and resource_version(current) <= resource_version(body):
            del self._bodies[key]

    def reset(self) -> None:
        self._bodies.clear()
        self.primed = False

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._bodies.get((namespace, name))

    def listed(self) -> list[dict[str, Any]]:
        return [self._bodies[key] for key in sorted(self._bodies)]
