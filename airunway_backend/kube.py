"""The backend's only Kubernetes I/O: blocking client calls run in worker threads, answers as plain
JSON dicts, API errors as KubeError carrying the API server's own Status."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airunway_backend.errors import admission_warnings, status_detail
from airunway_operator.api import constants

T = TypeVar("T")
G, V = constants.GROUP, constants.VERSION
MD = constants.MODELDEPLOYMENT_PLURAL
IPC = constants.PROVIDERCONFIG_PLURAL
HEALTH_SECONDS = 5.0


class KubeError(Exception):
    """A failed Kubernetes request: the HTTP status to answer with and the API server's Status."""

    def __init__(self, status: int, detail: dict[str, Any]) -> None:
        super().__init__(detail.get("message"))
        self.status = status
        self.detail = detail


def warnings(headers: Any) -> list[str]:
    """The admission warnings of a response's `Warning` headers."""
    if hasattr(headers, "getlist"):
        return admission_warnings(headers.getlist("Warning"))
    value = headers.get("Warning") if hasattr(headers, "get") else None
    return admission_warnings([value] if value else [])


def load_configuration() -> client.Configuration:
    """Connection settings from $KUBECONFIG (or ~/.kube/config), else the pod's service account."""
    cfg = client.Configuration()
    kubeconfig = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    if os.environ.get("KUBECONFIG") or Path(kubeconfig).exists():
        config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
    else:
        config.load_incluster_config(client_configuration=cfg)
    cfg.retries = 1
    return cfg


class KubeAccess:
    """Hands out API clients: the backend's own, or one that presents a caller's bearer token."""

    def __init__(self, base: client.Configuration, timeout: float) -> None:
        self.base = base
        self.timeout = timeout
        self.own = Kube(client.ApiClient(base), timeout)

    def for_token(self, token: str) -> Kube:
        cfg = copy.copy(self.base)
        # Only the caller's token identifies the request: none of the backend's own credentials.
        cfg.cert_file = None
        cfg.key_file = None
        cfg.username = ""
        cfg.password = ""
        cfg.refresh_api_key_hook = None
        cfg.api_key = {"authorization": token}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        return Kube(client.ApiClient(cfg), self.timeout, token)

    def close(self) -> None:
        self.own.close()


class Kube:
    """Async Kubernetes calls through one API client."""

    def __init__(self, api: client.ApiClient, timeout: float, token: str | None = None) -> None:
        self.api = api
        #: The caller's bearer token when this client acts for a caller (helm gets it too).
        self.token = token
        self.timeout = timeout
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)

    def close(self) -> None:
        self.api.close()

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            kwargs.setdefault("_request_timeout", self.timeout)
            return await asyncio.to_thread(fn, *args, **kwargs)
        except ApiException as err:
            status = err.status or 502
            raise KubeError(status, status_detail(status, err.body, str(err.reason))) from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            message = f"Kubernetes API unreachable: {type(err).__name__}"
            raise KubeError(503, {"message": message, "reason": "ServiceUnavailable", "code": 503}) from None

    def _plain(self, obj: Any) -> Any:
        return self.api.sanitize_for_serialization(obj)

    async def version(self) -> str:
        """The API server's version; a health check, so it waits a few seconds at most."""
        info = await self._call(client.VersionApi(self.api).get_code, _request_timeout=HEALTH_SECONDS)
        return str(info.git_version)

    async def token_authenticated(self, token: str) -> bool:
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        answer = await self._call(client.AuthenticationV1Api(self.api).create_token_review, review)
        return bool(answer.status and answer.status.authenticated)

    async def namespaces(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._plain(await self._call(self.core.list_namespace))["items"]
        return items

    async def model_deployments(self, namespace: str | None) -> list[dict[str, Any]]:
        if namespace is None:
            answer = await self._call(self.custom.list_cluster_custom_object, G, V, MD)
        else:
            answer = await self._call(self.custom.list_namespaced_custom_object, G, V, namespace, MD)
        items: list[dict[str, Any]] = answer["items"]
        return items

    async def model_deployment(self, namespace: str, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._call(
            self.custom.get_namespaced_custom_object, G, V, namespace, MD, name
        )
        return answer

    async def create_model_deployment(
        self, namespace: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """The created object and the admission warnings the API server sent with it."""
        answer, _, headers = await self._call(
            self.custom.create_namespaced_custom_object_with_http_info, G, V, namespace, MD, body
        )
        return answer, warnings(headers)

    async def delete_model_deployment(self, namespace: str, name: str) -> None:
        await self._call(self.custom.delete_namespaced_custom_object, G, V, namespace, MD, name)

    async def pods(self, namespace: str | None, label_selector: str = "") -> list[dict[str, Any]]:
        if namespace is None:
            answer = await self._call(self.core.list_pod_for_all_namespaces, label_selector=label_selector)
        else:
            answer = await self._call(self.core.list_namespaced_pod, namespace, label_selector=label_selector)
        items: list[dict[str, Any]] = self._plain(answer)["items"]
        return items

    async def bound_running_pods(self) -> list[dict[str, Any]]:
        """Pods in every namespace that sit on a node and have not finished (they hold its GPUs)."""
        selector = "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed"
        answer = await self._call(self.core.list_pod_for_all_namespaces, field_selector=selector)
        items: list[dict[str, Any]] = self._plain(answer)["items"]
        return items

    async def events(self, namespace: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._plain(
            await self._call(self.core.list_namespaced_event, namespace)
        )["items"]
        return items

    async def pod_log(self, namespace: str, pod: str, container: str | None, tail_lines: int) -> str:
        kwargs: dict[str, Any] = {"tail_lines": tail_lines}
        if container:
            kwargs["container"] = container
        return str(await self._call(self.core.read_namespaced_pod_log, pod, namespace, **kwargs))

    async def nodes(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._plain(await self._call(self.core.list_node))["items"]
        return items

    async def provider_configs(self) -> list[dict[str, Any]]:
        answer = await self._call(self.custom.list_cluster_custom_object, G, V, IPC)
        items: list[dict[str, Any]] = answer["items"]
        return items

    async def provider_config(self, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._call(self.custom.get_cluster_custom_object, G, V, IPC, name)
        return answer

    async def config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            answer = await self._call(self.core.read_namespaced_config_map, name, namespace)
        except KubeError as err:
            if err.status == 404:
                return None
            raise
        result: dict[str, Any] = self._plain(answer)
        return result

    async def save_config_map(self, namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
        """Create the ConfigMap, or replace its data when it exists."""
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
        try:
            answer = await self._call(self.core.create_namespaced_config_map, namespace, body)
        except KubeError as err:
            if err.status != 409:
                raise
            answer = await self._call(self.core.patch_namespaced_config_map, name, namespace, {"data": data})
        result: dict[str, Any] = self._plain(answer)
        return result
