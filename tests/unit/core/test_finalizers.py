"""Deletion always completes: the core releases its own finalizer and, after a bound, a dead provider's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core import finalizers


def ipc(name: str, ready: bool) -> InferenceProviderConfig:
    return InferenceProviderConfig.parse({"metadata": {"name": name}, "spec": {}, "status": {"ready": ready}})


def test_core_finalizer_is_released_at_once_with_a_deleted_event() -> None:
    plan = finalizers.plan_release([finalizers.CORE, "example.com/other"], [], elapsed=0, timeout=300)
    assert plan.keep == ("example.com/other",)
    assert [(e.type, e.reason) for e in plan.events] == [("Normal", "Deleted")]
    assert plan.wake_after is None


def test_running_provider_keeps_its_finalizer() -> None:
    present = ["airunway.ai/kaito-provider"]
    plan = finalizers.plan_release(present, [ipc("kaito", True)], elapsed=9999, timeout=300)
    assert plan.keep == ("airunway.ai/kaito-provider",)
    assert plan.events == ()


def test_gone_provider_is_waited_for_until_the_timeout() -> None:
    plan = finalizers.plan_release(["airunway.ai/kaito-provider"], [], elapsed=100, timeout=300)
    assert plan.keep == ("airunway.ai/kaito-provider",)
    assert plan.wake_after == 200


def test_gone_or_unready_provider_finalizer_is_removed_after_the_timeout_with_a_warning() -> None:
    present = ["airunway.ai/kaito-provider", "airunway.ai/vllm-provider"]
    plan = finalizers.plan_release(present, [ipc("vllm", False)], elapsed=301, timeout=300)
    assert plan.keep == ()
    assert {(e.type, e.reason) for e in plan.events} == {("Warning", "FinalizerTimeout")}
    assert "kaito" in plan.events[0].message


NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def beating(name: str, seconds_ago: float) -> InferenceProviderConfig:
    beat = (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return InferenceProviderConfig.parse(
        {"metadata": {"name": name}, "spec": {}, "status": {"ready": True, "lastHeartbeat": beat}}
    )


def test_a_provider_with_a_stale_heartbeat_counts_as_gone() -> None:
    present = ["airunway.ai/vllm-provider"]
    plan = finalizers.plan_release(present, [beating("vllm", 181)], elapsed=301, timeout=300, now=NOW)
    assert plan.keep == ()
    assert [e.reason for e in plan.events] == ["FinalizerTimeout"]


def test_a_beating_provider_keeps_its_finalizer_and_is_looked_at_again_when_it_could_go_stale() -> None:
    present = ["airunway.ai/vllm-provider"]
    plan = finalizers.plan_release(present, [beating("vllm", 30)], elapsed=301, timeout=300, now=NOW)
    assert plan.keep == ("airunway.ai/vllm-provider",)
    assert plan.wake_after == 150
