"""Status written by the operator's pure status code paths reads correctly under kstatus's generic rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gitops import bodies, kstatus


def with_condition(body: dict[str, Any], type_: str, status: str) -> dict[str, Any]:
    changed = bodies.with_generation(body, body["metadata"]["generation"])
    changed["status"]["conditions"].append({"type": type_, "status": status, "reason": "R", "message": "m"})
    return changed


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        pytest.param({"metadata": {"generation": 1}}, kstatus.CURRENT, id="no status"),
        pytest.param(
            {"metadata": {"generation": 2}, "status": {"observedGeneration": 1}},
            kstatus.IN_PROGRESS,
            id="stale observedGeneration",
        ),
        pytest.param(
            {"metadata": {"generation": 1, "deletionTimestamp": "2026-01-01T00:00:00Z"}},
            kstatus.TERMINATING,
            id="deleting",
        ),
        pytest.param(
            with_condition(bodies.running(), "Reconciling", "True"), kstatus.IN_PROGRESS, id="reconciling"
        ),
        pytest.param(with_condition(bodies.running(), "Stalled", "True"), kstatus.FAILED, id="stalled"),
        pytest.param(with_condition(bodies.running(), "Stalled", "False"), kstatus.CURRENT, id="not stalled"),
    ],
)
def test_rules(body: dict[str, Any], verdict: str) -> None:
    assert kstatus.compute(body)[0] == verdict


def test_running_status_is_current() -> None:
    body = bodies.running()
    assert body["status"]["observedGeneration"] == body["metadata"]["generation"]
    assert kstatus.compute(body) == (kstatus.CURRENT, "Resource is current")


@pytest.mark.parametrize("make", [bodies.pending, bodies.deploying], ids=["pending", "deploying"])
def test_rollout_in_progress_is_in_progress(make: Any) -> None:
    assert kstatus.compute(make()) == (kstatus.IN_PROGRESS, "Ready condition is False")


def test_failed_status_is_never_current() -> None:
    # Without a Stalled condition a failure looks like a rollout: under the Ready rule it is
    # InProgress (never Current); docs/gitops.md shows the Flux expression that fails fast.
    assert kstatus.compute(bodies.failed())[0] == kstatus.IN_PROGRESS


def test_unobserved_spec_change_is_in_progress() -> None:
    body = bodies.with_generation(bodies.running(), bodies.GENERATION + 1)
    assert kstatus.compute(body) == (kstatus.IN_PROGRESS, "LatestGenerationNotObserved")


@pytest.mark.parametrize(
    "make", [bodies.pending, bodies.deploying, bodies.running, bodies.failed], ids=lambda f: f.__name__
)
def test_every_condition_carries_the_observed_generation(make: Any) -> None:
    body = make()
    for condition in body["status"]["conditions"]:
        assert condition["observedGeneration"] == body["metadata"]["generation"], condition["type"]
        assert condition["status"] in ("True", "False", "Unknown")
        assert condition["reason"]
        assert condition["lastTransitionTime"]
