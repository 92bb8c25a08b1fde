"""The API server skips the webhook for updates that change neither spec nor annotations: with the
webhook registered but unreachable (failurePolicy: Fail), a label or finalizer change goes through
while a spec or annotation change is refused. The operator's own finalizer writes take this path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import free_port, registration_exists
from tests.support import vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


@pytest.fixture
def admission(cluster: Cluster) -> Iterator[client.AdmissionregistrationV1Api]:
    api = client.AdmissionregistrationV1Api(cluster.api_client)
    if registration_exists(cluster.api_client):
        api.delete_validating_webhook_configuration(configuration.NAME)
    yield api
    if registration_exists(cluster.api_client):
        api.delete_validating_webhook_configuration(configuration.NAME)


def _refusal(call: Callable[[], Any]) -> ApiException | None:
    try:
        call()
    except ApiException as err:
        return err
    return None


def test_metadata_only_updates_skip_the_webhook(
    cluster: Cluster, namespace: str, admission: client.AdmissionregistrationV1Api, tmp_path: Path
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("m"))
    files = tls.self_signed(["127.0.0.1", "localhost"], tmp_path)
    dead = configuration.url_client_config(f"https://127.0.0.1:{free_port()}", files.cafile.read_bytes())
    admission.create_validating_webhook_configuration(configuration.validating_configuration(dead))

    def patch(body: dict[str, Any]) -> Callable[[], Any]:
        return lambda: cluster.custom.patch_namespaced_custom_object(G, V, namespace, MD, "m", body)

    refused = wait_for(
        lambda: _refusal(patch({"spec": {"scaling": {"replicas": 2}}})), 30, "the dead webhook to refuse"
    )
    assert "failed calling webhook" in str(refused.body)
    assert _refusal(patch({"metadata": {"annotations": {"note": "x"}}})) is not None

    patch({"metadata": {"labels": {"team": "a"}, "finalizers": ["example.com/keep"]}})()
    patch({"metadata": {"finalizers": None}})()
    live = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "m")
    assert live["metadata"]["labels"]["team"] == "a"
    assert "note" not in (live["metadata"].get("annotations") or {})
    assert live["spec"].get("scaling", {}).get("replicas", 1) == 1
