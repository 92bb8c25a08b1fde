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


def md(version: str, generation: int = 1, **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "namespace": "ns",
            "name": "md",
            "resourceVersion": version,
            "generation": generation,
            **meta,
        },
        "status": {"phase": "Deploying"},
    }


def test_the_echo_of_our_own_write_is_known_and_a_foreign_change_is_not() -> None:
    cache = ObjectCache()
    read = md("10")
    cache.store(read)
    cache.store_written(read, {**md("11"), "status": {"phase": "Running"}})
    assert cache.is_echo(md("11"))
    assert not cache.is_echo(md("10"))
    assert not cache.is_echo(md("12"))


def test_a_write_whose_answer_carries_someone_elses_change_is_not_an_echo() -> None:
    cache = ObjectCache()
    read = md("20")
    cache.store_written(read, md("22", generation=2))  # the spec changed before our status patch
    assert not cache.is_echo(md("22", generation=2))
    cache.store_written(md("22", generation=2), md("23", generation=2, annotations={"x": "y"}))
    assert not cache.is_echo(md("23", generation=2, annotations={"x": "y"}))
    cache.store_written(md("23"), md("24"))
    cache.forget("ns/md")
    assert not cache.is_echo(md("24"))


def test_a_refusal_from_a_terminating_namespace_is_recognised() -> None:
    import json

    from kubernetes.client.rest import ApiException

    from airunway_operator.kube import errors

    refused = ApiException(status=403, reason="Forbidden")
    refused.body = json.dumps(
        {
            "kind": "Status",
            "reason": "Forbidden",
            "details": {
                "name": "s",
                "causes": [{"reason": "NamespaceTerminating", "field": "metadata.namespace"}],
            },
            "code": 403,
        }
    )
    assert errors.is_namespace_terminating(refused)
    other = ApiException(status=403, reason="Forbidden")
    other.body = json.dumps({"kind": "Status", "reason": "Forbidden", "code": 403})
    assert not errors.is_namespace_terminating(other)
