"""InferenceProviderConfig index: the operator's in-memory view of every registered provider."""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.api import constants


@kopf.index(constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL)
def providerconfig_index(name: str, body: kopf.Body, **_: Any) -> dict[str, dict[str, Any]]:
    return {name: dict(body)}
