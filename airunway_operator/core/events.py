"""The Events the core decides to post; the handler layer turns them into Kubernetes Events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event to post on the ModelDeployment: type Normal or Warning, reason, message."""

    type: str
    reason: str
    message: str
