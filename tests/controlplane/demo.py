"""Apply the built-in InferenceProviderConfigs and the sample ModelDeployments for `make demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.support import manifests

DEMO_NAMESPACE = "airunway-demo"


def _ignore_conflict(call: Any, *args: Any) -> bool:
    try:
        call(*args)
    except ApiException as err:
        if err.status != 409:
            raise
        return False
    return True


def apply(kubeconfig: Path | str | None, namespace: str = DEMO_NAMESPACE) -> list[str]:
    """Create the demo namespace, the provider configs and every sample; return what was created."""
    api_client = config.new_client_from_config(str(kubeconfig) if kubeconfig else None)
    core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)
    g, v = constants.GROUP, constants.VERSION
    created = []
    _ignore_conflict(core.create_namespace, {"metadata": {"name": namespace}})
    for _, body in manifests("config/providers"):
        if _ignore_conflict(custom.create_cluster_custom_object, g, v, constants.PROVIDERCONFIG_PLURAL, body):
            created.append(f"inferenceproviderconfig/{body['metadata']['name']}")
    for _, body in manifests("config/samples"):
        plural = constants.MODELDEPLOYMENT_PLURAL
        if _ignore_conflict(custom.create_namespaced_custom_object, g, v, namespace, plural, body):
            created.append(f"{namespace}/modeldeployment/{body['metadata']['name']}")
    return created
