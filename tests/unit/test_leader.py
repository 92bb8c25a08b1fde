"""The leader election's pure decisions: acquire a free or expired Lease, renew our own, else wait."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from airunway_operator import settings as settings_module
from airunway_operator.reconcile import leader
from airunway_operator.reconcile.leader import Action, Record
from airunway_operator.settings import Settings

NOW = datetime.datetime(2026, 12, 4, 4, 0, 0, tzinfo=datetime.UTC)
ME = "host-a_1111"
OTHER = "host-b_2222"


def spec(holder: str, renewed_ago: float, duration: int = 15, transitions: int = 3) -> dict[str, object]:
    renewed = NOW - datetime.timedelta(seconds=renewed_ago)
    return {
        "holderIdentity": holder,
        "leaseDurationSeconds": duration,
        "acquireTime": "2026-12-04T03:00:00.000000Z",
        "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "leaseTransitions": transitions,
    }


@pytest.mark.parametrize(
    ("lease", "action"),
    [
        (None, Action.ACQUIRE),  # a Lease without spec
        ({"holderIdentity": "", "leaseDurationSeconds": 15}, Action.ACQUIRE),  # released
        (spec("", renewed_ago=1), Action.ACQUIRE),  # no holder, however recent
        (spec(OTHER, renewed_ago=16), Action.ACQUIRE),  # renewTime + duration < now: expired
        (spec(OTHER, renewed_ago=14), Action.WAIT),  # still held
        (spec(OTHER, renewed_ago=15), Action.WAIT),  # exactly at the end is not yet expired
        (spec(OTHER, renewed_ago=2, duration=1), Action.ACQUIRE),  # released with duration 1 s
        ({"holderIdentity": OTHER}, Action.ACQUIRE),  # never renewed
        (spec(ME, renewed_ago=1), Action.RENEW),
        (spec(ME, renewed_ago=100), Action.RENEW),  # ours even after expiry: renew, nobody took it
    ],
)
def test_decide(lease: dict[str, object] | None, action: Action) -> None:
    assert leader.decide(Record.of(lease), ME, NOW) is action


def test_record_reads_the_clients_datetimes_and_rfc3339_strings() -> None:
    as_string = Record.of({"renewTime": "2026-12-04T03:59:50.123456Z"})
    as_datetime = Record.of({"renewTime": datetime.datetime(2026, 12, 4, 3, 59, 50, 123456)})
    assert as_string.renew_time == as_datetime.renew_time
    assert as_string.renew_time is not None
    assert as_string.renew_time.tzinfo is not None


@pytest.mark.parametrize(
    ("since_renewal", "is_lost"), [(0.0, False), (9.9, False), (10.0, False), (10.1, True), (60.0, True)]
)
def test_a_leader_is_lost_only_past_the_renew_deadline(since_renewal: float, is_lost: bool) -> None:
    assert leader.lost(last_renewed=100.0, now=100.0 + since_renewal) is is_lost


def test_acquiring_from_another_holder_counts_a_transition_and_sets_acquire_time() -> None:
    written = leader.next_spec(Record.of(spec(OTHER, renewed_ago=30)), ME, NOW)
    assert written == {
        "holderIdentity": ME,
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-12-04T04:00:00.000000Z",
        "renewTime": "2026-12-04T04:00:00.000000Z",
        "leaseTransitions": 4,
    }


def test_renewing_keeps_acquire_time_and_transitions() -> None:
    written = leader.next_spec(Record.of(spec(ME, renewed_ago=2)), ME, NOW)
    assert written["acquireTime"] == "2026-12-04T03:00:00.000000Z"
    assert written["renewTime"] == "2026-12-04T04:00:00.000000Z"
    assert written["leaseTransitions"] == 3


def test_acquiring_a_free_lease_is_no_transition() -> None:
    assert leader.next_spec(Record.of(None), ME, NOW)["leaseTransitions"] == 0


def test_a_released_lease_is_free_at_once_for_the_next_replica() -> None:
    released = leader.released_spec(Record.of(spec(ME, renewed_ago=1)), NOW)
    assert released["holderIdentity"] == ""
    assert released["leaseDurationSeconds"] == 1
    assert leader.decide(Record.of(released), OTHER, NOW) is Action.ACQUIRE


def test_identity_is_hostname_and_a_unique_suffix() -> None:
    first, second = leader.new_identity(), leader.new_identity()
    assert first != second
    host, _, suffix = first.partition("_")
    assert host
    assert len(suffix) == 36


def test_lease_namespace_is_the_setting_else_the_pods_else_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_module, "POD_NAMESPACE_FILE", tmp_path / "absent")
    assert Settings().lease_namespace == "default"
    pod_namespace = tmp_path / "namespace"
    pod_namespace.write_text("airunway-system\n")
    monkeypatch.setattr(settings_module, "POD_NAMESPACE_FILE", pod_namespace)
    assert Settings().lease_namespace == "airunway-system"
    assert Settings(leader_election_namespace="ops").lease_namespace == "ops"


def test_leader_election_is_off_by_default_with_the_documented_lease_name() -> None:
    ours = Settings()
    assert ours.leader_elect is False
    assert ours.leader_election_id == "airunway-operator-leader"
    assert ours.metrics_secure is False
