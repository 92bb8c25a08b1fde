"""Reads and writes of the managed webhook certificate: its Secret and the webhooks' caBundle.

Blocking calls; run them through `kube.client.call`. Writes of the Secret carry its
resourceVersion, so of several replicas writing at once exactly one wins and the others get 409.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.kube import errors

_LABELS = {"app.kubernetes.io/name": "airunway-operator", "app.kubernetes.io/component": "webhook"}


@dataclass(frozen=True)
class StoredSecret:
    data: dict[str, bytes]
    resource_version: str


def _stored(secret: client.V1Secret) -> StoredSecret:
    data = {key: base64.b64decode(value) for key, value in (secret.data or {}).items()}
    return StoredSecret(data, secret.metadata.resource_version)


def _body(name: str, data: Mapping[str, bytes], resource_version: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": _LABELS}
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "kubernetes.io/tls",
        "data": {key: base64.b64encode(value).decode() for key, value in data.items()},
    }


def read_secret(api_client: client.ApiClient, namespace: str, name: str) -> StoredSecret | None:
    try:
        return _stored(client.CoreV1Api(api_client).read_namespaced_secret(name, namespace))
    except ApiException as err:
        if errors.is_not_found(err):
            return None
        raise


def create_secret(
    api_client: client.ApiClient, namespace: str, name: str, data: Mapping[str, bytes]
) -> StoredSecret:
    """Raises ApiException 409 when another writer created it first."""
    created = client.CoreV1Api(api_client).create_namespaced_secret(namespace, _body(name, data))
    return _stored(created)


def replace_secret(
    api_client: client.ApiClient,
    namespace: str,
    name: str,
    data: Mapping[str, bytes],
    resource_version: str,
) -> StoredSecret:
    """Raises ApiException 409 when the Secret changed since `resource_version` was read."""
    body = _body(name, data, resource_version)
    return _stored(client.CoreV1Api(api_client).replace_namespaced_secret(name, namespace, body))


def sync_ca_bundle(api_client: client.ApiClient, configuration_name: str, bundle: bytes) -> list[str] | None:
    """Set caBundle of every webhook of the ValidatingWebhookConfiguration to `bundle` where it differs.

    Returns the names of the webhooks patched, or None when the configuration does not exist. The
    patch tests each webhook's name at its index, so a concurrent reorder fails instead of
    writing the wrong entry (the caller retries)."""
    api = client.AdmissionregistrationV1Api(api_client)
    try:
        current = api.read_validating_webhook_configuration(configuration_name)
    except ApiException as err:
        if errors.is_not_found(err):
            return None
        raise
    wanted = base64.b64encode(bundle).decode()
    ops: list[dict[str, Any]] = []
    patched: list[str] = []
    for index, webhook in enumerate(current.webhooks or []):
        have = webhook.client_config.ca_bundle if webhook.client_config else None
        if have == wanted:
            continue
        ops.append({"op": "test", "path": f"/webhooks/{index}/name", "value": webhook.name})
        ops.append({"op": "add", "path": f"/webhooks/{index}/clientConfig/caBundle", "value": wanted})
        patched.append(webhook.name)
    if ops:
        api.patch_validating_webhook_configuration(configuration_name, ops)
    return patched
