"""Post Kubernetes Events, best effort: one attempt in the background, failures only logged.

Events are informational, so a failed post (a namespace being deleted, a brief API outage) must
neither be retried for minutes nor hold up other work. Like client-go's recorder, an Event repeated
within the aggregation window patches the count of the Event already posted instead of creating
another object.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from airunway_operator.core.events import (
    DEFAULT_CAPACITY,
    DEFAULT_WINDOW_SECONDS,
    Aggregator,
    Event,
    EventKey,
    Increment,
)
from airunway_operator.kube import errors
from airunway_operator.kube.client import DaemonExecutor

logger = logging.getLogger("airunway.events")
COMPONENT = "airunway-operator"
_MERGE_PATCH = "application/merge-patch+json"


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest(body: Mapping[str, Any], event: Event, now: datetime) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    stamp = _stamp(now)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta.get('name')}.", "namespace": meta.get("namespace") or "default"},
        "involvedObject": {
            "apiVersion": body.get("apiVersion"),
            "kind": body.get("kind"),
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
        },
        "type": event.type,
        "reason": event.reason,
        "message": event.message[:1024],
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": socket.gethostname(),
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def key_of(event: Mapping[str, Any]) -> EventKey:
    """The aggregation key of an Event manifest."""
    involved = event["involvedObject"]
    return EventKey(
        uid=str(involved.get("uid") or ""),
        namespace=str(involved.get("namespace") or ""),
        name=str(involved.get("name") or ""),
        kind=str(involved.get("kind") or ""),
        type=event["type"],
        reason=event["reason"],
        message=event["message"],
        component=event["source"]["component"],
    )


@dataclass
class _Slot:
    """Serialises posts of one key, so a repeat waits for the creation in flight and then patches."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class EventPoster:
    def __init__(
        self,
        api_client: client.ApiClient,
        *,
        window: float = DEFAULT_WINDOW_SECONDS,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = client.CoreV1Api(api_client)
        self._aggregator = Aggregator(window, capacity)
        self._clock = clock
        self._slots: dict[EventKey, _Slot] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # A pool of their own, so Events never queue ahead of the writes that deploy models.
        self._pool = DaemonExecutor(2, "events")

    def post(self, body: Mapping[str, Any], event: Event) -> None:
        """Queue one Event for `body`; returns at once."""
        task = asyncio.get_running_loop().create_task(self._post(manifest(body, event, datetime.now(UTC))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        """Abandon Events still queued (at exit: they are informational, stopping is not)."""
        for task in list(self._tasks):
            task.cancel()

    async def drain(self) -> None:
        """Wait until every Event queued so far has been posted (or given up)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def _post(self, event: dict[str, Any]) -> None:
        key = key_of(event)
        slot = self._slots.setdefault(key, _Slot())
        slot.users += 1
        try:
            async with slot.lock:
                await self._create_or_increment(key, event)
        except (ApiException, HTTPError, OSError) as err:
            logger.debug("Event not posted", extra={"reason": event["reason"], "error": str(err)})
        finally:
            slot.users -= 1
            if not slot.users:
                del self._slots[key]

    async def _create_or_increment(self, key: EventKey, event: dict[str, Any]) -> None:
        decision = self._aggregator.decide(key, self._clock())
        if isinstance(decision, Increment) and await self._incremented(key, event, decision):
            logger.debug("Counted Event again", extra={"reason": key.reason, "count": decision.count})
            return
        name = await self._create(event)
        self._aggregator.record(key, name, 1, self._clock())
        logger.debug("Posted Event", extra={"reason": key.reason, "event": name})

    async def _incremented(self, key: EventKey, event: dict[str, Any], decision: Increment) -> bool:
        """Patch the count of the Event posted before; False when that Event has expired."""
        namespace = event["metadata"]["namespace"]
        patch = {"count": decision.count, "lastTimestamp": event["lastTimestamp"]}
        call = functools.partial(
            self._api.patch_namespaced_event, decision.name, namespace, patch, _content_type=_MERGE_PATCH
        )
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except ApiException as err:
            if not errors.is_not_found(err):
                raise
            # The API server deletes Events after their TTL (an hour by default).
            self._aggregator.forget(key)
            return False
        self._aggregator.record(key, decision.name, decision.count, self._clock())
        return True

    async def _create(self, event: dict[str, Any]) -> str:
        namespace = event["metadata"]["namespace"]
        create = functools.partial(self._api.create_namespaced_event, namespace, event)
        created = await asyncio.get_running_loop().run_in_executor(self._pool, create)
        return str(created.metadata.name)
