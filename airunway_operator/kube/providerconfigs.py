"""Writes to InferenceProviderConfigs that are not a provider's own registration."""

from __future__ import annotations

from typing import Any, Final

from kubernetes import client

from airunway_operator.api import constants
from airunway_operator.kube.client import call

#: (connect, read) seconds for one status write.
REQUEST_TIMEOUT: Final = (5, 30)


async def patch_status(api_client: client.ApiClient, name: str, patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch of the status subresource of InferenceProviderConfig `name`.

    `patch` is the whole patch body, e.g. `{"status": {"conditions": [...]}}` (a merge patch
    replaces a list as a whole). Returns the stored object; raises ApiException.
    """
    api = client.CustomObjectsApi(api_client)
    result: dict[str, Any] = await call(
        api.patch_cluster_custom_object_status,
        constants.GROUP,
        constants.VERSION,
        constants.PROVIDERCONFIG_PLURAL,
        name,
        patch,
        _content_type="application/merge-patch+json",
        _request_timeout=REQUEST_TIMEOUT,
    )
    return result
