"""What a gateway pass does, from the ModelDeployment's state and whether the CRDs are served."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.gateway import plan
from airunway_operator.gateway.plan import Action
from tests.unit.gateway.builders import md

RUNNING: dict[str, Any] = {"phase": "Running"}
CONFIGURED = {
    "phase": "Running",
    "conditions": [{"type": "GatewayReady", "status": "True", "reason": "GatewayConfigured"}],
}
DISABLED = {
    "phase": "Running",
    "conditions": [{"type": "GatewayReady", "status": "False", "reason": "GatewayDisabled"}],
}


def deleting() -> ModelDeployment:
    body = md().model_dump(mode="json", by_alias=True, exclude_none=True)
    body["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return ModelDeployment.parse(body)


@pytest.mark.parametrize(
    ("deployment", "observed", "available", "expected"),
    [
        pytest.param(md(), RUNNING, True, Action.CONFIGURE, id="running with the CRDs: configure"),
        pytest.param(
            md(), {"phase": "Deploying"}, True, Action.NOTHING, id="not running: leave things as they are"
        ),
        pytest.param(md(), RUNNING, False, Action.NOTHING, id="no CRDs and not asked: nothing"),
        pytest.param(
            md(gateway={"enabled": True}),
            RUNNING,
            False,
            Action.REPORT_CRDS_MISSING,
            id="no CRDs but asked: CRDsNotAvailable",
        ),
        pytest.param(
            md(),
            CONFIGURED,
            False,
            Action.REPORT_CRDS_MISSING,
            id="CRDs gone under a configured route: CRDsNotAvailable",
        ),
        pytest.param(
            md(gateway={"enabled": False}),
            CONFIGURED,
            False,
            Action.NOTHING,
            id="no CRDs and disabled: nothing",
        ),
        pytest.param(
            md(gateway={"enabled": False}),
            CONFIGURED,
            True,
            Action.DISABLE,
            id="disabled while configured: clean up",
        ),
        pytest.param(
            md(gateway={"enabled": False}),
            DISABLED,
            True,
            Action.NOTHING,
            id="disabled and cleaned up: nothing more",
        ),
        pytest.param(deleting(), RUNNING, True, Action.CLEAN_UP_DELETED, id="being deleted: clean up"),
        pytest.param(deleting(), RUNNING, False, Action.NOTHING, id="being deleted without CRDs: nothing"),
        pytest.param(
            md(annotations={"airunway.ai/reconcile-paused": "true"}),
            RUNNING,
            True,
            Action.NOTHING,
            id="paused: nothing",
        ),
        pytest.param(
            md(annotations={"airunway.ai/dynamo-test-backend": "mocker"}, provider={"name": "dynamo"}),
            RUNNING,
            True,
            Action.NOTHING,
            id="the Dynamo mocker: nothing",
        ),
    ],
)
def test_decide(
    deployment: ModelDeployment, observed: dict[str, Any], available: bool, expected: Action
) -> None:
    assert plan.decide(deployment, observed, available=available) is expected
