"""Deletion always completes: the core releases its own finalizer and, after a bound, a dead provider's."""

from __future__ import annotations

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
