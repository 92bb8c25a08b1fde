"""Count API requests per client from the local plane's audit log (metadata level, JSON lines)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
OPERATOR_AGENTS = ("airunway-operator/", "kopf/")


@dataclass(frozen=True)
class Request:
    verb: str
    resource: str
    user_agent: str
    namespace: str


def offset(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def requests_since(log: Path, start: int) -> list[Request]:
    """Completed requests logged after byte offset `start` (a rotated log restarts at 0)."""
    if not log.exists():
        return []
    with log.open("rb") as handle:
        if handle.seek(0, 2) >= start:
            handle.seek(start)
        else:
            handle.seek(0)
        lines = handle.read().decode(errors="replace").splitlines()
    found = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("stage") != "ResponseComplete":
            continue
        ref = event.get("objectRef") or {}
        resource = ref.get("resource", event.get("requestURI", "?"))
        if ref.get("subresource"):
            resource += "/" + ref["subresource"]
        found.append(
            Request(event.get("verb", "?"), resource, event.get("userAgent", ""), ref.get("namespace", ""))
        )
    return found


def by_operator(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.user_agent.startswith(OPERATOR_AGENTS)]


def summary(requests: list[Request]) -> Counter[str]:
    return Counter(f"{r.verb} {r.resource}" for r in requests)
