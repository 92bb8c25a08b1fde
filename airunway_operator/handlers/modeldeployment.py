"""ModelDeployment watch: every event of the kind reaches the operator (reconcile comes in later layers)."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from airunway_operator.api import constants


@kopf.on.event(constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL)
def modeldeployment_event(
    type: str | None, name: str, namespace: str | None, logger: logging.Logger, **_: Any
) -> None:
    logger.debug("Observed ModelDeployment event", extra={"event": type, "name": name, "namespace": namespace})
