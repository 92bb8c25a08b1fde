"""Shared pieces of the storage pipeline: labels, ownership, clean-up selection, and how a stop
reads in the provider's status outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airunway_operator.api.constants import Phase
from airunway_operator.core.provider_status import Outcome
from airunway_operator.storage import verdict
from providers.base import ConditionUpdate
from tests.unit.storage.builders import EARLIER_UID, UID, claim, job


def test_labels_and_selector() -> None:
    assert verdict.labels("qwen") == {
        "airunway.ai/managed-by": "airunway",
        "airunway.ai/model-deployment": "qwen",
    }
    assert verdict.selector("qwen") == "airunway.ai/managed-by=airunway,airunway.ai/model-deployment=qwen"


@pytest.mark.parametrize(
    ("live", "uid", "owned"),
    [
        pytest.param(claim("c", owner_uid=UID), UID, True, id="our uid"),
        pytest.param(claim("c", owner_uid=EARLIER_UID), UID, False, id="a namesake's uid"),
        pytest.param(claim("c"), UID, False, id="no owner references"),
        pytest.param(claim("c", owner_uid=UID), None, False, id="no uid to compare (never matches)"),
        pytest.param({"metadata": {"ownerReferences": "x"}}, UID, False, id="malformed references"),
    ],
)
def test_is_owned_by(live: dict[str, object], uid: str | None, owned: bool) -> None:
    assert verdict.is_owned_by(live, uid) is owned


def test_clean_up_takes_only_owned_objects_not_already_going() -> None:
    listed = [
        claim("ours", owner_uid=UID),
        claim("namesake", owner_uid=EARLIER_UID),
        claim("going", owner_uid=UID, deleting=True),
        job(owner_uid=UID),
    ]
    assert verdict.clean_up_names(listed, UID) == ["ours", "qwen-model-download"]


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phase", "ready_reason"),
    [
        pytest.param(Phase.PENDING, "DeploymentInProgress", id="waiting is in progress"),
        pytest.param(Phase.FAILED, "DeploymentFailed", id="a failure fails the deployment"),
    ],
)
def test_a_stop_sets_phase_message_and_ready(phase: Phase, ready_reason: str) -> None:
    storage = ConditionUpdate("StorageReady", "False", "PVCsPending", "Waiting for PVCs to be bound")
    outcome = Outcome().with_storage(storage).storage_stopped(phase, "why")
    fields = outcome.status_fields({}, 3, NOW)
    assert (fields["phase"], fields["message"]) == (phase.value, "why")
    by_type = {c["type"]: (c["status"], c["reason"], c["message"]) for c in fields["conditions"]}
    assert by_type == {
        "StorageReady": ("False", "PVCsPending", "Waiting for PVCs to be bound"),
        "Ready": ("False", ready_reason, "why"),
    }
    assert all(c["observedGeneration"] == 3 for c in fields["conditions"])
