"""Writes to ModelDeployments: status merge patches and finalizer changes (nothing else).

Both go through the generic JSON client of `objects` (plain dicts, decoded by orjson), not the
generated client's model layer: they are the operator's most frequent requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubernetes import client

from airunway_operator.api import constants
from airunway_operator.kube import objects

_API_VERSION = f"{constants.GROUP}/{constants.VERSION}"


async def patch_status(api_client: client.ApiClient, namespace: str, name: str, patch: dict[str, Any]) -> Any:
    """JSON merge patch of the status subresource; no resourceVersion precondition (as upstream)."""
    return await objects.merge_patch(
        api_client,
        _API_VERSION,
        constants.MODELDEPLOYMENT_PLURAL,
        namespace,
        f"{name}/status",
        {"status": patch},
    )


async def set_finalizers(
    api_client: client.ApiClient, namespace: str, name: str, finalizers: Sequence[str], resource_version: str
) -> Any:
    """Replace the finalizer list, guarded by resourceVersion so a concurrent change is not lost."""
    body = {"metadata": {"finalizers": list(finalizers), "resourceVersion": resource_version}}
    return await objects.merge_patch(
        api_client, _API_VERSION, constants.MODELDEPLOYMENT_PLURAL, namespace, name, body
    )
