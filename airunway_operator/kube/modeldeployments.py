"""Writes to ModelDeployments: status merge patches and finalizer changes (nothing else)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubernetes import client

from airunway_operator.api import constants
from airunway_operator.kube.client import call

_MERGE: dict[str, Any] = {"_content_type": "application/merge-patch+json"}


async def patch_status(api_client: client.ApiClient, namespace: str, name: str, patch: dict[str, Any]) -> Any:
    """JSON merge patch of the status subresource; no resourceVersion precondition (as upstream)."""
    api = client.CustomObjectsApi(api_client)
    return await call(
        api.patch_namespaced_custom_object_status,
        constants.GROUP,
        constants.VERSION,
        namespace,
        constants.MODELDEPLOYMENT_PLURAL,
        name,
        {"status": patch},
        **_MERGE,
    )


async def set_finalizers(
    api_client: client.ApiClient, namespace: str, name: str, finalizers: Sequence[str], resource_version: str
) -> Any:
    """Replace the finalizer list, guarded by resourceVersion so a concurrent change is not lost."""
    api = client.CustomObjectsApi(api_client)
    body = {"metadata": {"finalizers": list(finalizers), "resourceVersion": resource_version}}
    return await call(
        api.patch_namespaced_custom_object,
        constants.GROUP,
        constants.VERSION,
        namespace,
        constants.MODELDEPLOYMENT_PLURAL,
        name,
        body,
        **_MERGE,
    )
