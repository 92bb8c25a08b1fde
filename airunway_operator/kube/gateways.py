"""Reads and writes of the gateway integration: routing objects with strict field validation,
cluster-wide Gateway lists, CRD presence, model pods, the body-based-router restart.

Plain JSON dicts in and out; errors are the client's ApiException, classified by `kube/errors.py`.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.kube import errors, objects
from airunway_operator.kube.client import call
from airunway_operator.kube.objects import _request

MANAGER: Final = "airunway-gateway"
#: Unknown or duplicate fields are errors, so a write that does not match the installed
#: schema fails instead of being silently pruned.
STRICT: Final = "fieldValidation=Strict"


async def get_or_none(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, name: str
) -> dict[str, Any] | None:
    try:
        return await objects.get(api_client, api_version, plural, namespace, name)
    except ApiException as err:
        if errors.is_not_found(err):
            return None
        raise


async def create(
    api_client: client.ApiClient, api_version: str, plural: str, body: dict[str, Any]
) -> dict[str, Any]:
    url = objects.path(api_version, plural, body["metadata"]["namespace"])
    return await call(_request, api_client, "POST", url, body=body, query=f"fieldManager={MANAGER}&{STRICT}")


async def apply(
    api_client: client.ApiClient, api_version: str, plural: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Server-side apply of the fields we render, forcing ownership of them."""
    meta = body["metadata"]
    url = objects.path(api_version, plural, meta["namespace"], meta["name"])
    return await call(
        _request,
        api_client,
        "PATCH",
        url,
        body=body,
        content_type="application/apply-patch+yaml",
        query=f"fieldManager={MANAGER}&force=true&{STRICT}",
    )


async def merge_patch(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, name: str, patch: Any
) -> dict[str, Any]:
    """A JSON merge patch; a `metadata.resourceVersion` in `patch` makes it conditional."""
    return await objects.merge_patch(api_client, api_version, plural, namespace, name, patch)


async def strategic_patch(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, name: str, patch: Any
) -> dict[str, Any]:
    url = objects.path(api_version, plural, namespace, name)
    return await call(
        _request, api_client, "PATCH", url, body=patch, content_type="application/strategic-merge-patch+json"
    )


async def delete(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, name: str
) -> bool:
    """Delete in the background; False when it was already gone (or its kind is not served)."""
    try:
        await objects.delete(api_client, api_version, plural, namespace, name, "Background")
    except ApiException as err:
        if errors.is_not_found(err):
            return False
        raise
    return True


async def list_all(api_client: client.ApiClient, api_version: str, plural: str) -> list[dict[str, Any]]:
    """Every object of a namespaced kind across the cluster, in the API server's order."""
    answer = await call(_request, api_client, "GET", f"/apis/{api_version}/{plural}")
    return [item for item in answer.get("items") or () if isinstance(item, dict)]


async def list_pods(
    api_client: client.ApiClient, namespace: str, selector: dict[str, str]
) -> list[dict[str, Any]]:
    text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    answer = await call(
        _request,
        api_client,
        "GET",
        f"/api/v1/namespaces/{namespace}/pods",
        query=f"labelSelector={quote(text)}",
    )
    return [item for item in answer.get("items") or () if isinstance(item, dict)]


async def read_crd(api_client: client.ApiClient, name: str) -> dict[str, Any] | None:
    """The CustomResourceDefinition `name` as a dict, or None when it does not exist."""
    try:
        return await call(
            _request, api_client, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        )
    except ApiException as err:
        if errors.is_not_found(err):
            return None
        raise
