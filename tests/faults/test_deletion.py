"""Deletion completes whatever is down when it is asked for: the operator, its webhook, or the
custom resource definition of a provider's target."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.controlplane import install
from tests.faults import workload
from tests.faults.conftest import FaultPlane, Operators, namespace_gone
from tests.operator_process import deregister, registration_exists, webhook_answers
from tests.support import get_or_none, wait_for

G, V, MD = workload.G, workload.V, workload.MD
COUNT = 3
KAITO_CRD = "workspaces.kaito.sh"
KAITO_CRD_FILE = install.THIRDPARTY_CRDS / "kaito" / "kaito.sh_workspaces.yaml"
KAITO_NS = "kaito-workspace"
FINALIZER_TIMEOUT = "5"


def _create_and_converge(fault_plane: FaultPlane, namespace: str) -> list[str]:
    names = workload.names(COUNT, "d")
    for name in names:
        workload.create_until_done(fault_plane.custom, namespace, workload.md_body(name))
    workload.wait_converged(fault_plane.api_client, namespace, names, 180, "before the deletion")
    return names


def _delete(fault_plane: FaultPlane, namespace: str, names: list[str]) -> float:
    for name in names:
        fault_plane.custom.delete_namespaced_custom_object(G, V, namespace, MD, name)
    return time.monotonic()


def _all_gone(fault_plane: FaultPlane, namespace: str) -> bool:
    snapshot = workload.Snapshot.take(fault_plane.api_client, namespace)
    return not (snapshot.mds or snapshot.deployments or snapshot.services)


def _still_finalizing(fault_plane: FaultPlane, namespace: str, names: list[str]) -> bool:
    mds = workload.Snapshot.take(fault_plane.api_client, namespace).mds
    waiting = {m["metadata"]["name"] for m in mds if m["metadata"].get("deletionTimestamp")}
    return waiting == set(names)


@pytest.mark.timeout(600)
def test_delete_while_the_operator_is_down(
    fault_plane: FaultPlane, namespace: str, operators: Operators
) -> None:
    op = operators.start("--no-webhook")
    names = _create_and_converge(fault_plane, namespace)
    op.kill()
    _delete(fault_plane, namespace, names)
    assert _still_finalizing(fault_plane, namespace, names), "the finalizers should hold the objects"

    operators.start("--no-webhook")
    restarted = time.monotonic()
    wait_for(lambda: _all_gone(fault_plane, namespace), 180, "the ModelDeployments and their targets to go")
    workload.figure("delete-operator-down", "deleted after the restart", time.monotonic() - restarted, COUNT)


@pytest.mark.timeout(600)
def test_delete_while_the_webhook_is_down(
    fault_plane: FaultPlane, namespace: str, operators: Operators
) -> None:
    try:
        op = operators.start("--register-webhook")
        wait_for(lambda: webhook_answers(fault_plane.api_client, namespace), 60, "the webhook to answer")
        names = _create_and_converge(fault_plane, namespace)
        op.kill()
        assert registration_exists(fault_plane.api_client)
        # The registration points at a dead server and fails closed: creates are refused now.
        with pytest.raises(ApiException, match="failed calling webhook"):
            fault_plane.custom.create_namespaced_custom_object(
                G, V, namespace, MD, workload.md_body("refused"), dry_run="All"
            )
        _delete(fault_plane, namespace, names)
        operators.start("--no-webhook")
        restarted = time.monotonic()
        wait_for(
            lambda: _all_gone(fault_plane, namespace), 180, "the ModelDeployments and their targets to go"
        )
        workload.figure(
            "delete-webhook-down", "deleted after the restart", time.monotonic() - restarted, COUNT
        )
        assert registration_exists(fault_plane.api_client), "the dead registration stayed throughout"
    finally:
        deregister(fault_plane.api_client)
    assert not registration_exists(fault_plane.api_client)


def _fake_kaito_controller() -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "workspace"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "kaito-workspace", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "kaito:x"}]},
            },
        },
    }


@pytest.fixture
def kaito_controller(fault_plane: FaultPlane) -> Iterator[None]:
    """A stand-in KAITO controller (its Deployment is what the provider's health probe looks for);
    the Workspace CRD is installed again afterwards."""
    fault_plane.core.create_namespace({"metadata": {"name": KAITO_NS}})
    try:
        fault_plane.apps.create_namespaced_deployment(KAITO_NS, _fake_kaito_controller())
        wait_for(
            lambda: (
                fault_plane.apps.read_namespaced_deployment("kaito-workspace", KAITO_NS).status.ready_replicas
            ),
            60,
            "the stand-in KAITO controller to be ready",
        )
        yield
    finally:
        fault_plane.core.delete_namespace(KAITO_NS)
        install.install(fault_plane.kubeconfig, [KAITO_CRD_FILE])
        wait_for(lambda: namespace_gone(fault_plane, KAITO_NS), 120, "the KAITO namespace to go")


def _crd_gone(fault_plane: FaultPlane) -> bool:
    try:
        client.ApiextensionsV1Api(fault_plane.api_client).read_custom_resource_definition(KAITO_CRD)
    except ApiException as err:
        if err.status == 404:
            return True
        raise
    return False


def _workspace(fault_plane: FaultPlane, namespace: str, name: str) -> dict[str, Any] | None:
    get = fault_plane.custom.get_namespaced_custom_object
    found: dict[str, Any] | None = get_or_none(get, "kaito.sh", "v1beta1", namespace, "workspaces", name)
    return found


@pytest.mark.timeout(600)
def test_delete_after_the_target_crd_was_removed(
    fault_plane: FaultPlane, namespace: str, operators: Operators, kaito_controller: None
) -> None:
    operators.start("--no-webhook", env={"AIRUNWAY_FINALIZER_TIMEOUT_SECONDS": FINALIZER_TIMEOUT})
    fault_plane.custom.create_namespaced_custom_object(
        G, V, namespace, MD, workload.md_body("k", "kaito", "Qwen/Qwen3-0.6B")
    )
    wait_for(lambda: _workspace(fault_plane, namespace, "k"), 90, "the KAITO Workspace")
    wait_for(
        lambda: (
            "airunway.ai/kaito-provider"
            in (
                fault_plane.custom.get_namespaced_custom_object(G, V, namespace, MD, "k")["metadata"].get(
                    "finalizers"
                )
                or ()
            )
        ),
        60,
        "the KAITO provider's finalizer",
    )

    client.ApiextensionsV1Api(fault_plane.api_client).delete_custom_resource_definition(KAITO_CRD)
    wait_for(lambda: _crd_gone(fault_plane), 120, "the Workspace CRD to be removed")
    deleted = _delete(fault_plane, namespace, ["k"])
    wait_for(lambda: _all_gone(fault_plane, namespace), 120, "the ModelDeployment to go")
    workload.figure("delete-target-crd-gone", "deleted", time.monotonic() - deleted, 1)
