"""Events name the object they are about, with our component as the source; repeats are aggregated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airunway_operator.core.events import Aggregator, Create, Event, EventKey, Increment
from airunway_operator.kube import events


def test_event_manifest_refers_to_the_object() -> None:
    body = {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": "qwen", "namespace": "team-a", "uid": "u-1"},
    }
    event = Event("Warning", "ValidationFailed", "x" * 2000)
    made = events.manifest(body, event, datetime(2026, 1, 1, tzinfo=UTC))
    assert made["involvedObject"] == {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "name": "qwen",
        "namespace": "team-a",
        "uid": "u-1",
    }
    assert made["metadata"] == {"generateName": "qwen.", "namespace": "team-a"}
    assert (made["type"], made["reason"]) == ("Warning", "ValidationFailed")
    assert len(made["message"]) == 1024
    assert made["source"] == {"component": "airunway-operator"}
    assert made["firstTimestamp"] == "2026-01-01T00:00:00Z"


def _key(message: str = "KAITO controller is not running", uid: str = "u-1") -> EventKey:
    return EventKey(
        uid, "team-a", "qwen", "ModelDeployment", "Warning", "UpstreamControllerMissing", message, "c"
    )


def test_first_occurrence_creates_an_event() -> None:
    assert Aggregator().decide(_key(), now=100.0) == Create()


def test_repeat_within_the_window_increments_the_posted_event() -> None:
    aggregator = Aggregator(window=600.0)
    aggregator.record(_key(), "qwen.1", 1, now=100.0)
    assert aggregator.decide(_key(), now=699.0) == Increment("qwen.1", 2)
    aggregator.record(_key(), "qwen.1", 2, now=699.0)
    assert aggregator.decide(_key(), now=1200.0) == Increment("qwen.1", 3)


def test_repeat_after_the_window_creates_a_new_event() -> None:
    aggregator = Aggregator(window=600.0)
    aggregator.record(_key(), "qwen.1", 4, now=100.0)
    assert aggregator.decide(_key(), now=700.0) == Create()


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(_key(message="another message"), id="a different message is another Event"),
        pytest.param(_key(uid="u-2"), id="a recreated object of the same name is another Event"),
    ],
)
def test_different_events_are_not_aggregated(other: EventKey) -> None:
    aggregator = Aggregator()
    aggregator.record(_key(), "qwen.1", 1, now=0.0)
    assert aggregator.decide(other, now=1.0) == Create()


def test_forgotten_event_is_created_again() -> None:
    aggregator = Aggregator()
    aggregator.record(_key(), "qwen.1", 3, now=0.0)
    aggregator.forget(_key())
    assert aggregator.decide(_key(), now=1.0) == Create()


def test_memory_is_bounded_and_drops_the_least_recently_posted() -> None:
    aggregator = Aggregator(capacity=2)
    aggregator.record(_key("a"), "qwen.a", 1, now=0.0)
    aggregator.record(_key("b"), "qwen.b", 1, now=1.0)
    aggregator.record(_key("a"), "qwen.a", 2, now=2.0)
    aggregator.record(_key("c"), "qwen.c", 1, now=3.0)
    assert len(aggregator) == 2
    assert aggregator.decide(_key("b"), now=4.0) == Create()
    assert aggregator.decide(_key("a"), now=4.0) == Increment("qwen.a", 3)
    assert aggregator.decide(_key("c"), now=4.0) == Increment("qwen.c", 2)


def test_aggregation_key_comes_from_the_manifest() -> None:
    body = {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": "qwen", "namespace": "team-a", "uid": "u-1"},
    }
    made = events.manifest(body, Event("Warning", "UpstreamControllerMissing", "m"), datetime.now(UTC))
    assert events.key_of(made) == EventKey(
        "u-1",
        "team-a",
        "qwen",
        "ModelDeployment",
        "Warning",
        "UpstreamControllerMissing",
        "m",
        "airunway-operator",
    )
