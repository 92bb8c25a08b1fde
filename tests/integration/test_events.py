"""Events posted through EventPoster against the real local API server: repeats become one Event."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from airunway_operator.core.events import Event
from airunway_operator.kube.events import EventPoster
from tests.conftest import Cluster

MISSING = Event("Warning", "UpstreamControllerMissing", "KAITO controller is not running in the cluster")


def model_deployment(namespace: str) -> dict[str, Any]:
    # Events may name any object; this one need not exist.
    return {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": "qwen", "namespace": namespace, "uid": str(uuid.uuid4())},
    }


def test_repeated_event_is_one_object_with_a_count(cluster: Cluster, namespace: str) -> None:
    body = model_deployment(namespace)

    async def post() -> None:
        poster = EventPoster(cluster.api_client)
        for _ in range(3):
            poster.post(body, MISSING)
        poster.post(body, Event(MISSING.type, MISSING.reason, "KAITO controller has no ready replica"))
        await poster.drain()

    asyncio.run(post())
    posted = cluster.core.list_namespaced_event(namespace).items
    assert sorted((e.message, e.count) for e in posted) == [
        ("KAITO controller has no ready replica", 1),
        (MISSING.message, 3),
    ]
    assert {e.involved_object.uid for e in posted} == {body["metadata"]["uid"]}


def test_repeat_of_an_expired_event_creates_a_new_one(cluster: Cluster, namespace: str) -> None:
    body = model_deployment(namespace)

    async def post() -> str:
        poster = EventPoster(cluster.api_client)
        poster.post(body, MISSING)
        await poster.drain()
        (first,) = cluster.core.list_namespaced_event(namespace).items
        # What the API server does once an Event's TTL has passed.
        cluster.core.delete_namespaced_event(first.metadata.name, namespace)
        poster.post(body, MISSING)
        await poster.drain()
        return str(first.metadata.name)

    expired = asyncio.run(post())
    posted = cluster.core.list_namespaced_event(namespace).items
    assert [(e.message, e.count) for e in posted] == [(MISSING.message, 1)]
    assert posted[0].metadata.name != expired
