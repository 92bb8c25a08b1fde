"""Condition upserts and minimal merge patches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airunway_operator.status import conditions
from airunway_operator.status.patch import merge_patch

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


def test_new_condition_gets_the_transition_time() -> None:
    result = conditions.set_condition([], "Validated", True, "ValidationPassed", "ok", generation=3, now=T0)
    assert result == [
        {
            "type": "Validated",
            "status": "True",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
            "reason": "ValidationPassed",
            "message": "ok",
            "observedGeneration": 3,
        }
    ]


def test_same_status_keeps_transition_time_but_refreshes_reason_message_generation() -> None:
    first = conditions.set_condition([], "Ready", False, "A", "one", generation=1, now=T0)
    second = conditions.set_condition(first, "Ready", False, "B", "two", generation=2, now=T1)
    assert second[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert (second[0]["reason"], second[0]["message"], second[0]["observedGeneration"]) == ("B", "two", 2)


def test_status_change_moves_transition_time_and_keeps_other_types_in_order() -> None:
    other = [{"type": "X", "status": "True"}]
    start = conditions.set_condition(other, "Ready", False, "A", "", generation=1, now=T0)
    result = conditions.set_condition(start, "Ready", True, "B", "", generation=1, now=T1)
    assert [c["type"] for c in result] == ["X", "Ready"]
    assert result[1]["lastTransitionTime"] == "2026-01-02T00:00:00Z"


@pytest.mark.parametrize(
    ("observed", "desired", "patch"),
    [
        pytest.param({"a": 1}, {"a": 1}, None, id="nothing changed means no request"),
        pytest.param({"a": 1, "b": 2}, {"a": 3}, {"a": 3}, id="only named keys are compared"),
        pytest.param({"a": {"x": 1, "y": 2}}, {"a": {"x": 5}}, {"a": {"x": 5}}, id="nested maps per key"),
        pytest.param({"m": "old"}, {"m": None}, {"m": None}, id="None deletes a present key"),
        pytest.param({}, {"m": None}, None, id="None on an absent key is no change"),
        pytest.param({"l": [1, 2]}, {"l": [1, 2, 3]}, {"l": [1, 2, 3]}, id="lists are replaced whole"),
        pytest.param(None, {"a": {"b": 1}}, {"a": {"b": 1}}, id="empty observed status"),
    ],
)
def test_merge_patch(observed: dict[str, object] | None, desired: dict[str, object], patch: object) -> None:
    assert merge_patch(observed, desired) == patch


def test_applied_and_combined_say_what_two_merge_patches_in_a_row_say() -> None:
    from airunway_operator.status.patch import applied, combined, merge_patch

    observed = {"phase": "Pending", "message": "old", "provider": {"name": "vllm"}, "keep": 1}
    core = {"phase": "Pending", "message": None, "provider": {"name": "vllm", "selectedReason": "r"}}
    provider = {"phase": "Deploying", "provider": {"resourceName": "m"}}
    after_core = applied(observed, core)
    assert after_core == {"phase": "Pending", "provider": {"name": "vllm", "selectedReason": "r"}, "keep": 1}
    both = combined(core, provider)
    assert applied(observed, both) == applied(after_core, provider)
    assert merge_patch(observed, both) == {
        "phase": "Deploying",
        "message": None,
        "provider": {"selectedReason": "r", "resourceName": "m"},
    }
