"""ModelDeployment events: every event reaches the core, then the provider that owns the object."""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
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
    logger.debug("Observed ModelDeployment event", extra={"event": type})
    memo.providers.index = providerconfig_index
    key = key_of(body)
    if type == "DELETED":
        memo.cache.forget(key)
        if memo.core is not None:
            memo.core.forget(key)
        return
    for runtime in memo.runtimes:
        await runtime.ensure_registered()  # no-op once registered
    memo.cache.store(dict(body))
    if memo.core is not None:
        await memo.core.reconcile(dict(body))
    for runtime in memo.runtimes:
        latest = memo.cache.get(key)
        if latest is not None and runtime.claims(latest):
            await runtime.reconcile(latest)
