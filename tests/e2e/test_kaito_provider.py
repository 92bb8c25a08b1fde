"""End to end on the local control plane: a KAITO ModelDeployment waits for a healthy KAITO
controller (and proceeds when it recovers), gets a schema-valid Workspace, maps Workspace status
(written here as KAITO would) to Running or Failed with the message, and is deleted with its
Workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
KAITO_NS = "kaito-workspace"
NOW = "2026-11-30T00:00:00Z"


def fake_kaito_controller(replicas: int) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "workspace"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "kaito-workspace", "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "kaito:x"}]},
            },
        },
    }


@pytest.fixture(scope="module")
def kaito_controller(cluster: Cluster) -> Iterator[None]:
    try:
        cluster.core.create_namespace({"metadata": {"name": KAITO_NS}})
    except ApiException as err:
        if err.status != 409:
            raise
    try:
        cluster.apps.create_namespaced_deployment(KAITO_NS, fake_kaito_controller(1))
    except ApiException as err:
        if err.status != 409:
            raise
    wait_for(
        lambda: (
            (cluster.apps.read_namespaced_deployment("kaito-workspace", KAITO_NS).status.ready_replicas or 0)
            > 0
        ),
        60,
        "the stand-in KAITO controller to be ready",
    )
    yield
    cluster.apps.delete_namespaced_deployment("kaito-workspace", KAITO_NS)


@pytest.fixture(scope="module")
def operator(
    cluster: Cluster, kaito_controller: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Operator]:
    op = Operator(
        cluster.kubeconfig,
        tmp_path_factory.mktemp("kaito") / "op.log",
        "--providers",
        "kaito",
        "--no-webhook",
    )
    op.wait_healthy()
    yield op
    op.kill()


def md(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {
            "model": {"id": "Qwen/Qwen3-0.6B"},
            "engine": {"type": "vllm"},
            "provider": {"name": "kaito"},
            "resources": {"gpu": {"count": 1}},
        },
    }


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return dict(body.get("status") or {})


def workspace(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        result: dict[str, Any] = cluster.custom.get_namespaced_custom_object(
            "kaito.sh", "v1beta1", namespace, "workspaces", name
        )
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    return result


def condition(status: str, type_: str, message: str = "") -> dict[str, str]:
    return {"type": type_, "status": status, "reason": "Test", "message": message, "lastTransitionTime": NOW}


def test_kaito_workspace_lifecycle(
    cluster: Cluster, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md("qwen"))
    ws = wait_for(lambda: workspace(cluster, namespace, "qwen"), 60, "the Workspace")
    assert ws["inference"]["preset"]["name"] == "Qwen/Qwen3-0.6B"
    assert ws["resource"]["labelSelector"]["matchLabels"]["nvidia.com/gpu.present"] == "true"
    assert ws["metadata"]["ownerReferences"][0]["kind"] == "ModelDeployment"
    wait_for(lambda: status_of(cluster, namespace, "qwen").get("phase") == "Deploying", 30, "phase Deploying")

    ready = {
        "state": "Ready",
        "conditions": [
            condition("True", "ResourceReady"),
            condition("True", "InferenceReady"),
            condition("True", "WorkspaceSucceeded"),
        ],
    }
    cluster.custom.patch_namespaced_custom_object_status(
        "kaito.sh", "v1beta1", namespace, "workspaces", "qwen", {"status": ready}
    )
    status = wait_for(
        lambda: ((s := status_of(cluster, namespace, "qwen")).get("phase") == "Running" and s) or None,
        30,
        "phase Running",
    )
    assert status["endpoint"] == {"service": "qwen", "port": 80}
    assert status["provider"]["resourceKind"] == "Workspace"
    assert {c["type"]: c["reason"] for c in status["conditions"]}["Ready"] == "DeploymentReady"

    failed = {
        "state": "Failed",
        "conditions": [condition("False", "WorkspaceSucceeded", "insufficient GPU quota")],
    }
    cluster.custom.patch_namespaced_custom_object_status(
        "kaito.sh", "v1beta1", namespace, "workspaces", "qwen", {"status": failed}
    )
    status = wait_for(
        lambda: ((s := status_of(cluster, namespace, "qwen")).get("phase") == "Failed" and s) or None,
        30,
        "phase Failed",
    )
    assert status["message"] == "insufficient GPU quota"

    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "qwen")

    def gone() -> bool:
        try:
            cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "qwen")
            return False
        except ApiException as err:
            return bool(err.status == 404) and workspace(cluster, namespace, "qwen") is None

    wait_for(gone, 60, "the ModelDeployment and its Workspace to be deleted")


def test_unhealthy_kaito_keeps_the_phase_and_says_why(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    cluster.apps.patch_namespaced_deployment_scale("kaito-workspace", KAITO_NS, {"spec": {"replicas": 0}})
    wait_for(
        lambda: (
            not cluster.apps.read_namespaced_deployment("kaito-workspace", KAITO_NS).status.ready_replicas
        ),
        60,
        "the stand-in controller to scale down",
    )
    try:
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md("waiting"))

        def unhealthy() -> dict[str, Any] | None:
            status = status_of(cluster, namespace, "waiting")
            ready = {c["type"]: c for c in status.get("conditions") or ()}.get("Ready")
            return status if ready and ready["reason"] == "UpstreamControllerNotReady" else None

        status = wait_for(unhealthy, 30, "Ready=False with the probe's reason")
        assert status.get("phase") != "Failed"
        assert workspace(cluster, namespace, "waiting") is None

        # The controller recovering is an event too: the Workspace follows without any edit.
        cluster.apps.patch_namespaced_deployment_scale("kaito-workspace", KAITO_NS, {"spec": {"replicas": 1}})
        wait_for(lambda: workspace(cluster, namespace, "waiting"), 60, "the Workspace once KAITO is healthy")
    finally:
        cluster.apps.patch_namespaced_deployment_scale("kaito-workspace", KAITO_NS, {"spec": {"replicas": 1}})
