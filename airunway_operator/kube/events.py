"""Post Kubernetes Events, best effort: one attempt in the background, failures only logged.

Events are informational, so a failed post (a namespace being deleted, a brief API outage) must
neither be retried for minutes nor hold up other work.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from airunway_operator.core.events import Event

logger = logging.getLogger("airunway.events")
COMPONENT = "airunway-operator"


def manifest(body: Mapping[str, Any], event: Event, now: datetime) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
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


class EventPoster:
    def __init__(self, api_client: client.ApiClient) -> None:
        self._api = client.CoreV1Api(api_client)
        self._tasks: set[asyncio.Task[None]] = set()
        # A pool of their own, so Events never queue ahead of the writes that deploy models.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="events")

    def post(self, body: Mapping[str, Any], event: Event) -> None:
        """Queue one Event for `body`; returns at once."""
        task = asyncio.get_running_loop().create_task(self._post(manifest(body, event, datetime.now(UTC))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, event: dict[str, Any]) -> None:
        try:
            loop = asyncio.get_running_loop()
            namespace = event["metadata"]["namespace"]
            create = functools.partial(self._api.create_namespaced_event, namespace, event)
            await loop.run_in_executor(self._pool, create)
        except (ApiException, HTTPError, OSError) as err:
            logger.debug("Event not posted", extra={"reason": event["reason"], "error": str(err)})
