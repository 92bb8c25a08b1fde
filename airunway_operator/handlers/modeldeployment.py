"""ModelDeployment events: remember the body and queue the core and the provider that owns it."""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.context import OperatorContext
from airunway_operator.reconcile.cache import key_of


@kopf.on.event(constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL)
async def modeldeployment_event(
    type: str,
    body: kopf.Body,
    memo: kopf.Memo,
    logger: kopf.Logger,
    providerconfig_index: kopf.Index[str, InferenceProviderConfig] | None = None,
    **_: Any,
) -> None:
    ctx: OperatorContext = memo.context
    logger.debug("Observed ModelDeployment event", extra={"event": type})
    ctx.providers.index = providerconfig_index
    if type == "DELETED":
        ctx.object_deleted(key_of(body))
    else:
        ctx.object_changed(body)
