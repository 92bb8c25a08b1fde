"""The Events the core decides to post, and the decision whether a repeat updates an existing Event.

Pure: no client, no clock. The caller passes the time in, so aggregation is testable with any clock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

#: client-go's aggregation window (`defaultAggregateIntervalInSeconds` in tools/record).
DEFAULT_WINDOW_SECONDS: Final = 600.0
#: client-go's event cache size (`maxLruCacheEntries` in tools/record).
DEFAULT_CAPACITY: Final = 4096


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event to post on the ModelDeployment: type Normal or Warning, reason, message."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class EventKey:
    """What makes two Events the same one repeated (client-go's `getEventKey`, minus the host)."""

    uid: str
    namespace: str
    name: str
    kind: str
    type: str
    reason: str
    message: str
    component: str


@dataclass(frozen=True)
class Create:
    """Post a new Event object."""


@dataclass(frozen=True)
class Increment:
    """Patch the existing Event `name` to `count` occurrences."""

    name: str
    count: int


Decision = Create | Increment


@dataclass(frozen=True)
class _Seen:
    name: str
    count: int
    at: float


class Aggregator:
    """Remembers the Events posted recently (bounded, least recently used first out).

    `decide` says what to do for one more occurrence of `key` at time `now`; `record` stores what
    the API server accepted, and `forget` drops a key whose Event is gone.
    """

    def __init__(self, window: float = DEFAULT_WINDOW_SECONDS, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._window = window
        self._capacity = capacity
        self._seen: OrderedDict[EventKey, _Seen] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def decide(self, key: EventKey, now: float) -> Decision:
        seen = self._seen.get(key)
        if seen is None or now - seen.at >= self._window:
            return Create()
        return Increment(seen.name, seen.count + 1)

    def record(self, key: EventKey, name: str, count: int, now: float) -> None:
        self._seen[key] = _Seen(name, count, now)
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)

    def forget(self, key: EventKey) -> None:
        self._seen.pop(key, None)
