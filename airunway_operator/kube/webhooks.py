"""Register and remove the operator's ValidatingWebhookConfiguration (loopback development only;
clusters get the shipped manifest from config/webhook/)."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.kube import errors


def register(api_client: client.ApiClient, configuration: dict[str, Any]) -> None:
    """Create the configuration, or replace an existing one of the same name."""
    api = client.AdmissionregistrationV1Api(api_client)
    name = configuration["metadata"]["name"]
    try:
        api.create_validating_webhook_configuration(configuration)
    except ApiException as err:
        if not errors.is_conflict(err):
            raise
        current = api.read_validating_webhook_configuration(name)
        replacement = {
            **configuration,
            "metadata": {**configuration["metadata"], "resourceVersion": current.metadata.resource_version},
        }
        api.replace_validating_webhook_configuration(name, replacement)


def deregister(api_client: client.ApiClient, name: str, timeout: tuple[float, float] | None = None) -> None:
    api = client.AdmissionregistrationV1Api(api_client)
    try:
        api.delete_validating_webhook_configuration(name, _request_timeout=timeout)
    except ApiException as err:
        if not errors.is_not_found(err):
            raise
