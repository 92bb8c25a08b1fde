"""What one gateway pass does for a ModelDeployment, decided from its state alone (SPEC-core §6.3,
§6.10, §6.13).

* Being deleted: clean up (status is not written).
* Paused, or the Dynamo mocker: nothing.
* Integration unavailable: `CRDsNotAvailable` while Running when the gateway was asked for
  explicitly or had been configured; otherwise nothing.
* Not Running: nothing; routing and status stay as they were.
* Disabled: clean up and record `GatewayDisabled`, once.
* Otherwise: configure.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from airunway_operator.api import constants
from airunway_operator.api.constants import Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.gateway import status


class Action(Enum):
    NOTHING = "nothing"
    CLEAN_UP_DELETED = "clean up (deleting)"
    REPORT_CRDS_MISSING = "report CRDsNotAvailable"
    DISABLE = "clean up and report GatewayDisabled"
    CONFIGURE = "configure"


def is_mocker(md: ModelDeployment) -> bool:
    backend = (md.metadata.annotations or {}).get(constants.ANNOTATION_DYNAMO_TEST_BACKEND)
    provider = md.spec.provider.name if md.spec.provider else None
    return backend == constants.DYNAMO_TEST_BACKEND_MOCKER and provider == "dynamo"


def decide(md: ModelDeployment, observed: Mapping[str, Any], *, available: bool) -> Action:
    if md.metadata.deletion_timestamp is not None:
        return Action.CLEAN_UP_DELETED if available else Action.NOTHING
    paused = (md.metadata.annotations or {}).get(constants.ANNOTATION_RECONCILE_PAUSED) == "true"
    if paused or is_mocker(md):
        return Action.NOTHING
    enabled = md.spec.gateway.enabled if md.spec.gateway is not None else None
    if observed.get("phase") != Phase.RUNNING.value:
        return Action.NOTHING
    if not available:
        asked = enabled is True or (enabled is None and status.was_ready(observed))
        return Action.REPORT_CRDS_MISSING if asked else Action.NOTHING
    if enabled is False:
        done = status.current_reason(observed) == status.GATEWAY_DISABLED
        return Action.NOTHING if done else Action.DISABLE
    return Action.CONFIGURE
