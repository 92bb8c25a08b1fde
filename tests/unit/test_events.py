"""Events name the object they are about, with our component as the source."""

from __future__ import annotations

from datetime import UTC, datetime

from airunway_operator.core.events import Event
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
