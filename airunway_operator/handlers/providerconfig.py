"""InferenceProviderConfigs: the in-memory index the operator selects from, and change fan-out."""

from __future__ import annotations

from typing import Any

import kopf
from pydantic import ValidationError

from airunway_operator.api import constants, providerconfig
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.context import OperatorContext


@kopf.index(constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL)
def providerconfig_index(
    name: str, body: kopf.Body, logger: kopf.Logger, **_: Any
) -> dict[str, InferenceProviderConfig]:
    try:
        return {name: providerconfig.parse(body)}
    except ValidationError as err:
        logger.warning("Ignored malformed InferenceProviderConfig", extra={"errors": err.error_count()})
        return {}


@kopf.on.event(constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL)
async def providerconfig_event(
    type: str,
    name: str,
    body: kopf.Body,
    memo: kopf.Memo,
    providerconfig_index: kopf.Index[str, InferenceProviderConfig] | None = None,
    **_: Any,
) -> None:
    ctx: OperatorContext = memo.context
    ctx.providers.index = providerconfig_index
    latest = None if type == "DELETED" else dict(body)
    if ctx.core is not None:
        ctx.core.provider_changed(name, latest)
    if ctx.gateway is not None:
        ctx.gateway.provider_changed(name, latest)
    if ctx.rules_status is not None:
        ctx.rules_status.changed(name, latest)
    for runtime in ctx.runtimes:
        if runtime.config_name == name:
            runtime.config_changed(type, latest)
