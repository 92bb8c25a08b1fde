"""ModelDeployment watch: every event of the kind reaches the operator (reconcile comes in later layers)."""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.api import constants


@kopf.on.event(constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL)
def modeldeployment_event(type: str, logger: kopf.Logger, **_: Any) -> None:
    logger.debug("Observed ModelDeployment event", extra={"event": type})
