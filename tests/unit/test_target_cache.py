"""The target cache keeps the newest body of each rendered object, without managed fields."""

from __future__ import annotations

from typing import Any

from airunway_operator.reconcile.cache import ObjectCache
from airunway_operator.reconcile.targets import TargetCache


def deployment(version: str, replicas: int = 1, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "m", "namespace": "ns", "resourceVersion": version, **meta},
        "spec": {"replicas": replicas},
    }


def test_newer_body_wins_whatever_the_order_it_arrives_in() -> None:
    cache = TargetCache()
    cache.store(deployment("7", replicas=2))
    assert cache.store(deployment("5", replicas=1))["spec"]["replicas"] == 2
    assert cache.store(deployment("9", replicas=3))["spec"]["replicas"] == 3
    assert cache.get("apps/v1", "Deployment", "ns", "m") == deployment("9", replicas=3)
    assert cache.get("v1", "Service", "ns", "m") is None


def test_a_stale_deleted_event_keeps_the_object_created_since() -> None:
    cache = TargetCache()
    cache.store(deployment("12"))
    cache.deleted(deployment("10"))
    assert cache.get("apps/v1", "Deployment", "ns", "m") is not None
    cache.deleted(deployment("13"))
    assert cache.get("apps/v1", "Deployment", "ns", "m") is None
    assert len(cache) == 0


def test_forget_drops_what_a_404_disproved() -> None:
    cache = TargetCache()
    cache.store(deployment("3"))
    cache.forget("apps/v1", "Deployment", "ns", "m")
    assert cache.get("apps/v1", "Deployment", "ns", "m") is None


def test_managed_fields_are_not_kept() -> None:
    fields = [{"manager": "kube-controller-manager", "fieldsV1": {"f:status": {}}}]
    stored = TargetCache().store(deployment("4", managedFields=fields, labels={"a": "b"}))
    assert "managedFields" not in stored["metadata"]
    assert stored["metadata"]["labels"] == {"a": "b"}
    body = {"metadata": {"namespace": "ns", "name": "md", "resourceVersion": "1", "managedFields": fields}}
    assert "managedFields" not in (ObjectCache().store(body)["metadata"])
