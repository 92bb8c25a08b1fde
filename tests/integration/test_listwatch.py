"""Our lean watch (`kube/listwatch.py`) against the real API server: server-side selection, every
change delivered in order on the event loop, a selector exit seen as DELETED, and a relist that
reports what disappeared during a gap."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from airunway_operator.kube import client as kube_client
from airunway_operator.kube.listwatch import ListWatch
from tests.conftest import Cluster
from tests.support import wait_for

LABEL = "airunway.ai/watch-test"


class Recorder:
    """Runs an event loop on a thread and records what a ListWatch delivers to it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def deliver(self, type: str, body: dict[str, Any]) -> None:
        assert threading.current_thread() is self.thread  # handlers run on the loop, never the watch thread
        assert body["kind"] == "ConfigMap"
        with self.lock:
            self.events.append((type, body["metadata"]["name"]))

    def seen(self, event: tuple[str, str]) -> bool:
        with self.lock:
            return event in self.events

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


def _configmap(name: str, labelled: bool) -> dict[str, Any]:
    labels = {LABEL: "yes"} if labelled else {}
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


def _watch(cluster: Cluster, namespace: str, recorder: Recorder) -> ListWatch:
    api = kube_client.separate_client(cluster.api_client)
    return ListWatch(
        api, "v1", "ConfigMap", "configmaps", recorder.deliver, label_selector=LABEL, namespace=namespace
    )


def test_lists_then_delivers_each_change_of_selected_objects_only(
    cluster: Cluster, namespace: str, recorder: Recorder
) -> None:
    cluster.core.create_namespaced_config_map(namespace, _configmap("before", True))
    cluster.core.create_namespaced_config_map(namespace, _configmap("unlabelled", False))
    watch = _watch(cluster, namespace, recorder)
    watch.start(recorder.loop)
    try:
        assert watch.listed.wait(10)
        wait_for(lambda: recorder.seen(("ADDED", "before")), 10, "the listed object")
        cluster.core.create_namespaced_config_map(namespace, _configmap("after", True))
        wait_for(lambda: recorder.seen(("ADDED", "after")), 10, "the created object")
        cluster.core.patch_namespaced_config_map("after", namespace, {"data": {"k": "w"}})
        wait_for(lambda: recorder.seen(("MODIFIED", "after")), 10, "the change")
        # Losing the label leaves the selection: the API server reports it as DELETED.
        cluster.core.patch_namespaced_config_map("before", namespace, {"metadata": {"labels": {LABEL: None}}})
        wait_for(lambda: recorder.seen(("DELETED", "before")), 10, "the selector exit")
        cluster.core.delete_namespaced_config_map("after", namespace)
        wait_for(lambda: recorder.seen(("DELETED", "after")), 10, "the deletion")
    finally:
        watch.stop()
    with recorder.lock:
        names = {name for _, name in recorder.events}
    assert "unlabelled" not in names
    assert recorder.events.index(("ADDED", "after")) < recorder.events.index(("MODIFIED", "after"))


def test_a_relist_reports_objects_deleted_while_not_watching(
    cluster: Cluster, namespace: str, recorder: Recorder
) -> None:
    for name in ("kept", "removed"):
        cluster.core.create_namespaced_config_map(namespace, _configmap(name, True))
    watch = _watch(cluster, namespace, recorder)
    watch._loop = recorder.loop  # no thread: list by hand around a gap
    watch._list()
    wait_for(lambda: recorder.seen(("ADDED", "removed")), 10, "the first list")
    cluster.core.delete_namespaced_config_map("removed", namespace)
    watch._list()  # as after 410 Gone
    wait_for(lambda: recorder.seen(("DELETED", "removed")), 10, "the object gone during the gap")
    with recorder.lock:
        assert ("DELETED", "kept") not in recorder.events
