"""GatewayReady and status.gateway: tokens, kept transition times, Events on transitions."""

from __future__ import annotations

from datetime import UTC, datetime

from airunway_operator.gateway import status
from airunway_operator.status.patch import merge_patch

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


def test_configured_sets_the_condition_and_the_gateway_status() -> None:
    verdict = status.configured("10.0.0.1", "chat", "infra")
    fields = status.fields({}, verdict, 4, T0)
    assert fields["gateway"] == {"endpoint": "10.0.0.1", "modelName": "chat", "gatewayNamespace": "infra"}
    [condition] = fields["conditions"]
    assert condition == {
        "type": "GatewayReady",
        "status": "True",
        "reason": "GatewayConfigured",
        "message": "InferencePool and HTTPRoute created",
        "observedGeneration": 4,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }


def test_a_repeat_writes_nothing_and_keeps_other_conditions() -> None:
    other = {
        "type": "Ready",
        "status": "True",
        "reason": "DeploymentReady",
        "message": "",
        "lastTransitionTime": "x",
    }
    first = status.fields({"conditions": [other]}, status.configured("e", "m", "n"), 1, T0)
    assert first["conditions"][0] == other
    observed = {**first}
    assert merge_patch(observed, status.fields(observed, status.configured("e", "m", "n"), 1, T1)) is None
    assert status.transition(observed, status.configured("e", "m", "n")) is None


def test_failures_keep_the_last_gateway_status() -> None:
    observed = status.fields({}, status.configured("e", "m", "n"), 1, T0)
    fields = status.fields(observed, status.failed(status.EPP_FAILED, "cannot write Deployment"), 1, T1)
    assert "gateway" not in fields
    assert fields["conditions"][0]["reason"] == "EPPFailed"
    assert fields["conditions"][0]["lastTransitionTime"] == "2026-01-02T00:00:00Z"


def test_disabled_and_missing_crds_remove_the_gateway_status() -> None:
    observed = status.fields({}, status.configured("e", "m", "n"), 1, T0)
    for verdict, reason in (
        (status.disabled(), "GatewayDisabled"),
        (status.crds_missing(), "CRDsNotAvailable"),
    ):
        fields = status.fields(observed, verdict, 1, T1)
        assert fields["gateway"] is None
        assert fields["conditions"][0]["status"] == "False"
        assert fields["conditions"][0]["reason"] == reason
        assert merge_patch(observed, fields)["gateway"] is None  # type: ignore[index]


def test_a_refusal_uses_the_gateways_reason_and_posts_a_warning() -> None:
    observed = status.fields({}, status.configured("e", "m", "n"), 1, T0)
    verdict = status.refused("NotAllowedByListeners", "not allowed", "e", "m", "n")
    event = status.transition(observed, verdict)
    assert event is not None
    assert (event.type, event.reason) == ("Warning", "NotAllowedByListeners")
    assert status.fields(observed, verdict, 1, T1)["conditions"][0]["reason"] == "NotAllowedByListeners"
