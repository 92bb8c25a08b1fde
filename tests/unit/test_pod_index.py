"""The pod index: which ModelDeployment a pod event concerns, and only when its diagnosis changed."""

from __future__ import annotations

import copy
from typing import Any

from airunway_operator.reconcile.pods import PodIndex
from tests.unit.core.test_pod_diagnosis import BACKOFF, crashed, pod, unschedulable, waiting

VLLM, KAITO = "airunway.ai/deployment", "kaito.sh/workspace"


def index() -> PodIndex:
    return PodIndex((VLLM, KAITO))


def test_a_healthy_pod_is_indexed_without_asking_for_a_pass() -> None:
    pods = index()
    assert pods.observe(pod("qwen-a")) == []
    assert pods.pods(VLLM, "team-a", "qwen") == (
        {"metadata": {"name": "qwen-a", "namespace": "team-a", "labels": {VLLM: "qwen"}}, "status": {}},
    )
    assert pods.pods(KAITO, "team-a", "qwen") == ()


def test_a_problem_appearing_changing_and_clearing_each_ask_for_one_pass() -> None:
    pods = index()
    owner = (VLLM, "team-a", "qwen")
    assert pods.observe(pod("qwen-a", unschedulable())) == [owner]
    assert pods.observe(pod("qwen-a", unschedulable())) == []  # same again: nothing to report
    assert pods.observe(pod("qwen-a", waiting("ImagePullBackOff", BACKOFF))) == [owner]
    assert pods.observe(pod("qwen-a")) == [owner]
    assert pods.observe(pod("qwen-a")) == []


def test_restarts_and_back_off_texts_of_a_crash_loop_ask_for_no_pass() -> None:
    pods = index()
    first = pod("qwen-a", waiting("CrashLoopBackOff", "back-off 10s restarting failed container"), crashed())
    later = copy.deepcopy(first)
    later["status"]["containerStatuses"][0].update(
        restartCount=9,
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting"}},
    )
    assert pods.observe(first) == [(VLLM, "team-a", "qwen")]
    assert pods.observe(later) == []


def test_deleting_a_problem_pod_asks_for_a_pass_and_frees_its_entry() -> None:
    pods = index()
    body = pod("qwen-a", unschedulable())
    pods.observe(body)
    assert pods.observe(body, deleted=True) == [(VLLM, "team-a", "qwen")]
    assert pods.pods(VLLM, "team-a", "qwen") == ()
    assert len(pods) == 0
    assert not pods.knows(body)


def test_a_pod_losing_its_label_leaves_its_owner() -> None:
    pods = index()
    body = pod("qwen-a", unschedulable())
    pods.observe(body)
    orphan: dict[str, Any] = copy.deepcopy(body)
    del orphan["metadata"]["labels"][VLLM]
    assert pods.is_relevant(orphan)  # still delivered: we index it
    assert pods.observe(orphan) == [(VLLM, "team-a", "qwen")]
    assert not pods.is_relevant(orphan)
    assert pods.pods(VLLM, "team-a", "qwen") == ()


def test_pods_without_our_labels_are_not_relevant() -> None:
    body = pod("other")
    body["metadata"]["labels"] = {"app": "web"}
    assert not index().is_relevant(body)


def test_pods_are_listed_by_name_per_namespace() -> None:
    pods = index()
    for name in ("qwen-c", "qwen-a", "qwen-b"):
        pods.observe(pod(name))
    elsewhere = pod("qwen-z")
    elsewhere["metadata"]["namespace"] = "team-b"
    pods.observe(elsewhere)
    assert [p["metadata"]["name"] for p in pods.pods(VLLM, "team-a", "qwen")] == [
        "qwen-a",
        "qwen-b",
        "qwen-c",
    ]
    assert [p["metadata"]["name"] for p in pods.pods(VLLM, "team-b", "qwen")] == ["qwen-z"]
