from __future__ import annotations

from typing import Any

from airunway_backend import summaries


def md(status: dict[str, Any] | None = None, **spec) -> dict[str, Any]:
    return {
        "metadata": {"name": "qwen", "namespace": "ns", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, **spec},
        "status": status or {},
    }


def test_summary_prefers_the_resolved_engine_and_provider() -> None:
    view = summaries.summary(
        md(
            {
                "phase": "Running",
                "engine": {"type": "vllm"},
                "provider": {"name": "vllm"},
                "replicas": {"desired": 2, "ready": 2, "available": 1},
                "endpoint": {"service": "qwen", "port": 8000},
                "message": "ok",
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "DeploymentReady",
                        "message": "",
                        "lastTransitionTime": "2026-01-01T00:01:00Z",
                        "observedGeneration": 1,
                    }
                ],
            },
            engine={"type": "sglang"},
            serving={"mode": "disaggregated"},
        )
    )
    assert view == {
        "name": "qwen",
        "namespace": "ns",
        "modelId": "Qwen/Qwen2.5-0.5B-Instruct",
        "engine": "vllm",
        "provider": "vllm",
        "mode": "disaggregated",
        "phase": "Running",
        "replicas": {"desired": 2, "ready": 2, "available": 1},
        "endpoint": {"service": "qwen", "port": 8000},
        "message": "ok",
        "createdAt": "2026-01-01T00:00:00Z",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "DeploymentReady",
                "message": "",
                "lastTransitionTime": "2026-01-01T00:01:00Z",
            }
        ],
    }


def test_summary_of_a_new_object_falls_back_to_the_spec() -> None:
    view = summaries.summary(
        md(engine={"type": "llamacpp"}, provider={"name": "kaito"}, scaling={"replicas": 3})
    )
    assert (view["engine"], view["provider"], view["mode"], view["phase"]) == (
        "llamacpp",
        "kaito",
        "aggregated",
        "Pending",
    )
    assert view["replicas"] == {"desired": 3, "ready": 0, "available": 0}
    assert view["endpoint"] is None
    assert view["conditions"] == []


def pod(name: str, labels: dict[str, Any], **status) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "spec": {"nodeName": "n1"}, "status": status}


def test_owned_pods_match_any_provider_label_and_only_this_deployment() -> None:
    pods = [
        pod("b", {"airunway.ai/deployment": "qwen"}),
        pod("a", {"kaito.sh/workspace": "qwen"}),
        pod("c", {"airunway.ai/deployment": "other"}),
        pod("d", {}),
        pod("e", {"nvidia.com/dynamo-graph-deployment-name": "qwen"}),
    ]
    assert [p["metadata"]["name"] for p in summaries.owned_pods(pods, "qwen")] == ["a", "b", "e"]


def test_pod_view_names_why_a_container_waits() -> None:
    view = summaries.pod_view(
        pod(
            "p",
            {},
            phase="Pending",
            containerStatuses=[
                {
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m"}},
                }
            ],
        )
    )
    assert view == {
        "name": "p",
        "phase": "Pending",
        "ready": False,
        "restarts": 4,
        "node": "n1",
        "reason": "CrashLoopBackOff",
        "message": "back-off 5m",
    }


def test_pod_view_of_an_unschedulable_pod_uses_its_condition() -> None:
    view = summaries.pod_view(
        pod(
            "p",
            {},
            phase="Pending",
            conditions=[
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/4 nodes are available: 4 Insufficient nvidia.com/gpu.",
                }
            ],
        )
    )
    assert view["reason"] == "Unschedulable"
    assert "Insufficient nvidia.com/gpu" in view["message"]


def test_pod_view_of_a_ready_pod_has_no_reason() -> None:
    view = summaries.pod_view(
        pod(
            "p",
            {},
            phase="Running",
            containerStatuses=[{"ready": True, "restartCount": 0, "state": {"running": {}}}],
        )
    )
    assert (view["ready"], view["reason"], view["message"]) == (True, None, None)


def event(kind: str, name: str, reason: str, when: str) -> dict[str, Any]:
    return {
        "involvedObject": {"kind": kind, "name": name},
        "type": "Warning",
        "reason": reason,
        "message": reason.lower(),
        "count": 2,
        "lastTimestamp": when,
    }


def test_detail_keeps_the_events_of_the_deployment_and_its_pods_newest_first() -> None:
    pods = [pod("qwen-1", {"airunway.ai/deployment": "qwen"})]
    events = [
        event("ModelDeployment", "qwen", "Old", "2026-01-01T00:00:01Z"),
        event("Pod", "qwen-1", "FailedScheduling", "2026-01-01T00:00:03Z"),
        event("Pod", "elsewhere", "Unrelated", "2026-01-01T00:00:04Z"),
        event("Deployment", "qwen", "ScalingReplicaSet", "2026-01-01T00:00:05Z"),
    ]
    view = summaries.detail(md(), pods, events)
    assert view["spec"]["model"]["id"] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert [p["name"] for p in view["pods"]] == ["qwen-1"]
    assert [(e["object"], e["reason"]) for e in view["events"]] == [
        ("Pod/qwen-1", "FailedScheduling"),
        ("ModelDeployment/qwen", "Old"),
    ]
    assert view["events"][0] == {
        "type": "Warning",
        "reason": "FailedScheduling",
        "message": "failedscheduling",
        "count": 2,
        "lastTimestamp": "2026-01-01T00:00:03Z",
        "object": "Pod/qwen-1",
    }
