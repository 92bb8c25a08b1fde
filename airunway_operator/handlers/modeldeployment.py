"""ModelDeployment events: every event of every object reaches the core reconciler (level-triggered)."""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.reconcile.core import key_of


@kopf.on.event(constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL)
async def modeldeployment_event(
    type: str,
    body: kopf.Body,
    memo: kopf.Memo,
    logger: kopf.Logger,
    providerconfig_index: kopf.Index[str, InferenceProviderConfig] | None = None,
    **_: Any,
) -> None:
    logger.debug("Observed ModelDeployment event", extra={"event": type})
    memo.providers.index = providerconfig_index
    if "core" not in memo:
        return
    if type == "DELETED":
        memo.core.forget(key_of(body))
        return
    memo.core.remember(dict(body))
    await memo.core.reconcile(dict(body))
