"""Generic reads and writes of any namespaced kind by apiVersion and plural (no discovery calls).

Used by the provider runtime for the objects providers render: Deployments, Services, KAITO
Workspaces and the like. Bodies are plain JSON dicts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from kubernetes import client

from airunway_operator.kube.client import call, call_aside


def path(api_version: str, plural: str, namespace: str, name: str | None = None) -> str:
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    suffix = f"/{name}" if name else ""
    return f"{base}/namespaces/{namespace}/{plural}{suffix}"


def _headers(
    api_client: client.ApiClient, method: str, url_path: str, content_type: str = "application/json"
) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "Content-Type": content_type,
        "User-Agent": api_client.user_agent,
    }
    _, _, auth_headers, _, _ = api_client.param_serialize(method, url_path, auth_settings=["BearerToken"])
    headers.update({k: v for k, v in auth_headers.items() if k.lower() == "authorization"})
    return headers


def get_path(api_client: client.ApiClient, url_path: str) -> dict[str, Any]:
    """GET a path that already carries its query (blocking: for threads of our own)."""
    path, _, query = url_path.partition("?")
    return _request(api_client, "GET", path, query=query)


def open_stream(api_client: client.ApiClient, url_path: str, timeout: tuple[float, float]) -> Any:
    """GET `url_path` without reading the answer: the urllib3 response, to iterate by line (a
    watch). Raises ApiException for an error status."""
    url = api_client.configuration.host + url_path
    headers = _headers(api_client, "GET", url_path.partition("?")[0])
    response = api_client.call_api("GET", url, header_params=headers, _request_timeout=timeout)
    if not 200 <= response.status < 300:
        response.read()
        raise client.ApiException(http_resp=response)
    return response.response


def _request(
    api_client: client.ApiClient,
    method: str,
    url_path: str,
    *,
    body: Any = None,
    content_type: str = "application/json",
    query: str = "",
) -> dict[str, Any]:
    url = api_client.configuration.host + url_path + (f"?{query}" if query else "")
    headers = _headers(api_client, method, url_path, content_type)
    # The REST layer serialises dict bodies itself for JSON and YAML (apply) content types.
    response = api_client.call_api(method, url, header_params=headers, body=body)
    response.read()
    if not 200 <= response.status < 300:
        raise client.ApiException(http_resp=response)
    data = response.data
    return orjson.loads(data) if data else {}


async def get(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, name: str
) -> dict[str, Any]:
    return await call(_request, api_client, "GET", path(api_version, plural, namespace, name))


async def create(
    api_client: client.ApiClient,
    api_version: str,
    plural: str,
    namespace: str,
    body: dict[str, Any],
    manager: str,
    *,
    aside: bool = False,
) -> dict[str, Any]:
    """POST `body`; `aside` runs it on the aside lane (`client.call_aside`)."""
    return await (call_aside if aside else call)(
        _request,
        api_client,
        "POST",
        path(api_version, plural, namespace),
        body=body,
        query=f"fieldManager={manager}",
    )


async def apply(
    api_client: client.ApiClient,
    api_version: str,
    plural: str,
    namespace: str,
    body: dict[str, Any],
    manager: str,
) -> dict[str, Any]:
    """Server-side apply with `manager`, forcing ownership of the fields we declare."""
    name = body["metadata"]["name"]
    return await call(
        _request,
        api_client,
        "PATCH",
        path(api_version, plural, namespace, name),
        body=body,
        content_type="application/apply-patch+yaml",
        query=f"fieldManager={manager}&force=true",
    )


async def merge_patch(
    api_client: client.ApiClient,
    api_version: str,
    plural: str,
    namespace: str,
    name: str,
    patch: dict[str, Any],
) -> dict[str, Any]:
    return await call(
        _request,
        api_client,
        "PATCH",
        path(api_version, plural, namespace, name),
        body=patch,
        content_type="application/merge-patch+json",
    )


async def delete(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, name: str, propagation: str
) -> dict[str, Any]:
    return await call(
        _request,
        api_client,
        "DELETE",
        path(api_version, plural, namespace, name),
        body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation},
    )


async def replace(
    api_client: client.ApiClient,
    api_version: str,
    plural: str,
    namespace: str,
    body: dict[str, Any],
    manager: str,
) -> dict[str, Any]:
    """Full update (PUT); `body` carries the live resourceVersion, so a concurrent change is a 409."""
    name = body["metadata"]["name"]
    return await call(
        _request,
        api_client,
        "PUT",
        path(api_version, plural, namespace, name),
        body=body,
        query=f"fieldManager={manager}",
    )


async def list_labelled(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str | None, label_selector: str
) -> list[dict[str, Any]]:
    """The objects of one kind matching `label_selector`, in `namespace` or (None) in all of them."""
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    where = f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"
    answer = await call(_request, api_client, "GET", where, query=f"labelSelector={quote(label_selector)}")
    return [item for item in answer.get("items") or () if isinstance(item, dict)]


async def list_items(
    api_client: client.ApiClient, api_version: str, plural: str, namespace: str, label_selector: str
) -> list[dict[str, Any]]:
    """The objects of one kind in `namespace` matching `label_selector`."""
    answer = await call(
        _request,
        api_client,
        "GET",
        path(api_version, plural, namespace),
        query=f"labelSelector={quote(label_selector)}",
    )
    items = answer.get("items") or []
    return [item for item in items if isinstance(item, dict)]
