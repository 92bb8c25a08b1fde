"""The I/O layer of the storage pipeline (`reconcile/storage.py`) over an in-memory stand-in for
`kube/objects.py`: sequencing of the two phases, tolerated races, API failures turned into the
step's Failed condition plus a retry, and the clean-up order on deletion."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api.constants import Phase
from airunway_operator.kube import objects
from airunway_operator.reconcile import storage
from tests.unit.storage.builders import EARLIER_UID, UID, claim, deployment, job

IMAGE = "downloader:1"
CACHE = {"name": "cache", "purpose": "modelCache", "size": "10Gi"}


def api_error(status: int, message: str) -> ApiException:
    err = ApiException(status=status, reason="x")
    err.body = json.dumps({"message": message})
    return err


class FakeObjects:
    """Objects by (plural, name); `failing[(verb, plural, name)]` makes that call fail."""

    def __init__(self, *live: dict[str, Any]) -> None:
        self.store = {(self._plural(o), o["metadata"]["name"]): o for o in live}
        self.failing: dict[tuple[str, str, str], ApiException] = {}
        self.calls: list[tuple[str, str, str]] = []

    @staticmethod
    def _plural(body: dict[str, Any]) -> str:
        return "jobs" if body["kind"] == "Job" else "persistentvolumeclaims"

    def _check(self, verb: str, plural: str, name: str) -> None:
        self.calls.append((verb, plural, name))
        if (verb, plural, name) in self.failing:
            raise self.failing[(verb, plural, name)]

    async def get(self, _: Any, __: str, plural: str, ___: str, name: str) -> dict[str, Any]:
        self._check("get", plural, name)
        if (plural, name) not in self.store:
            raise api_error(404, "not found")
        return self.store[(plural, name)]

    async def create(self, _: Any, __: str, plural: str, ___: str, body: dict[str, Any], ____: str) -> Any:
        name = body["metadata"]["name"]
        self._check("create", plural, name)
        if (plural, name) in self.store:
            raise api_error(409, "already exists")
        self.store[(plural, name)] = body
        return body

    async def delete(self, _: Any, __: str, plural: str, ___: str, name: str, propagation: str) -> Any:
        self._check(f"delete/{propagation}", plural, name)
        if self.store.pop((plural, name), None) is None:
            raise api_error(404, "not found")
        return {}

    async def list_items(self, _: Any, __: str, plural: str, ___: str, selector: str) -> list[dict[str, Any]]:
        self._check("list", plural, selector)
        return [o for (p, _name), o in sorted(self.store.items()) if p == plural]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeObjects:
    stand_in = FakeObjects()
    for name in ("get", "create", "delete", "list_items"):
        monkeypatch.setattr(objects, name, getattr(stand_in, name))
    return stand_in


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def test_first_pass_creates_the_claim_and_stops_before_the_download(fake: FakeObjects) -> None:
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert [c.reason for c in result.conditions] == ["PVCsPending"]
    assert result.stop is not None
    assert result.stop.requeue_after == 10.0
    assert ("persistentvolumeclaims", "qwen-cache") in fake.store
    assert not any(plural == "jobs" for _, plural, _ in fake.calls)


def test_owned_pending_claim_starts_the_download_then_completion_proceeds(fake: FakeObjects) -> None:
    fake.store[("persistentvolumeclaims", "qwen-cache")] = claim("qwen-cache", "Pending", owner_uid=UID)
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert [c.reason for c in result.conditions] == ["PVCsBound", "DownloadInProgress"]
    assert result.stop is not None
    assert result.stop.requeue_after == 15.0
    created = fake.store[("jobs", "qwen-model-download")]
    assert created["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE

    fake.store[("jobs", "qwen-model-download")] = job(succeeded=1)
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert [c.reason for c in result.conditions] == ["PVCsBound", "DownloadComplete"]
    assert result.stop is None
    assert result.retry is None


def test_a_refused_claim_create_fails_and_asks_for_a_retry(fake: FakeObjects) -> None:
    fake.failing[("create", "persistentvolumeclaims", "qwen-cache")] = api_error(403, "forbidden by policy")
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    [condition] = result.conditions
    assert (condition.reason, condition.message) == (
        "PVCFailed",
        "failed to create PVC qwen-cache: forbidden by policy",
    )
    assert result.stop is not None
    assert (result.stop.phase, result.stop.message) == (
        Phase.FAILED,
        "Failed to ensure PVCs: failed to create PVC qwen-cache: forbidden by policy",
    )
    assert result.retry == "forbidden by policy"


def test_a_failed_claim_read_fails_the_step(fake: FakeObjects) -> None:
    fake.failing[("get", "persistentvolumeclaims", "qwen-cache")] = api_error(500, "etcd timeout")
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert result.conditions[0].message == "failed to get PVC qwen-cache: etcd timeout"
    assert result.retry == "etcd timeout"


def test_a_refused_job_create_fails_the_download(fake: FakeObjects) -> None:
    fake.store[("persistentvolumeclaims", "qwen-cache")] = claim("qwen-cache", "Bound", owner_uid=UID)
    fake.failing[("create", "jobs", "qwen-model-download")] = api_error(422, "invalid")
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert [c.reason for c in result.conditions] == ["PVCsBound", "DownloadFailed"]
    assert result.stop is not None
    assert (
        result.stop.message
        == "Model download failed: failed to create download Job qwen-model-download: invalid"
    )


def test_a_concurrent_create_is_as_good_as_ours(fake: FakeObjects) -> None:
    fake.failing[("create", "persistentvolumeclaims", "qwen-cache")] = api_error(409, "already exists")
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert [c.reason for c in result.conditions] == ["PVCsPending"]
    assert result.retry is None


def test_a_foreign_job_is_deleted_in_the_background(fake: FakeObjects) -> None:
    fake.store[("persistentvolumeclaims", "qwen-cache")] = claim("qwen-cache", "Bound", owner_uid=UID)
    fake.store[("jobs", "qwen-model-download")] = job(owner_uid=EARLIER_UID)
    result = run(storage.prepare(None, deployment(CACHE), IMAGE))
    assert [c.reason for c in result.conditions] == ["PVCsBound", "DownloadInProgress"]
    assert ("delete/Background", "jobs", "qwen-model-download") in fake.calls
    assert ("jobs", "qwen-model-download") not in fake.store


def test_clean_up_deletes_owned_jobs_then_owned_claims_only(fake: FakeObjects) -> None:
    fake.store.update(
        {
            ("persistentvolumeclaims", "qwen-cache"): claim("qwen-cache", owner_uid=UID),
            ("persistentvolumeclaims", "namesake"): claim("namesake", owner_uid=EARLIER_UID),
            ("jobs", "qwen-model-download"): job(),
        }
    )
    run(storage.clean_up(None, deployment(CACHE)))
    deletes = [(verb, plural, name) for verb, plural, name in fake.calls if verb.startswith("delete")]
    assert deletes == [
        ("delete/Background", "jobs", "qwen-model-download"),
        ("delete/Background", "persistentvolumeclaims", "qwen-cache"),
    ]
    assert ("persistentvolumeclaims", "namesake") in fake.store
    selector = "airunway.ai/managed-by=airunway,airunway.ai/model-deployment=qwen"
    assert [c for c in fake.calls if c[0] == "list"] == [
        ("list", "jobs", selector),
        ("list", "persistentvolumeclaims", selector),
    ]


def test_clean_up_tolerates_objects_already_gone(fake: FakeObjects) -> None:
    fake.store[("jobs", "qwen-model-download")] = job()
    fake.failing[("delete/Background", "jobs", "qwen-model-download")] = api_error(404, "gone")
    run(storage.clean_up(None, deployment(CACHE)))


def test_clean_up_raises_other_failures(fake: FakeObjects) -> None:
    fake.store[("jobs", "qwen-model-download")] = job()
    fake.failing[("delete/Background", "jobs", "qwen-model-download")] = api_error(500, "boom")
    with pytest.raises(ApiException):
        run(storage.clean_up(None, deployment(CACHE)))
