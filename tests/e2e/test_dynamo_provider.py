"""End to end on the local control plane: a Dynamo ModelDeployment gets a DynamoGraphDeployment the
vendored CRD accepts with strict field validation, maps the graph's status (written here as the
Dynamo operator would) to Running with replicas and endpoint or to Failed with the message, has a
hand edit of the graph's spec reverted, and is deleted with its graph and finalizer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import get_or_none, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
DG, DV, DGD = "nvidia.com", "v1alpha1", "dynamographdeployments"
NOW = "2026-12-01T00:00:00Z"


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("dynamo") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "dynamo", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def md(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {
            "model": {"id": "Qwen/Qwen3-0.6B", "servedName": "qwen3"},
            "engine": {"type": "vllm"},
            "provider": {"name": "dynamo", "overrides": {"routerMode": "kv"}},
            "resources": {"gpu": {"count": 1}, "memory": "16Gi"},
            "secrets": {"huggingFaceToken": "hf-token"},
            "gateway": {"enabled": False},
        },
    }


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return dict(body.get("status") or {})


def graph(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    return get_or_none(cluster.custom.get_namespaced_custom_object, DG, DV, namespace, DGD, name)


def phase_is(cluster: Cluster, namespace: str, name: str, phase: str) -> dict[str, Any] | None:
    status = status_of(cluster, namespace, name)
    return status if status.get("phase") == phase else None


def service_status(name: str, replicas: int, ready: int) -> dict[str, Any]:
    return {
        "componentKind": "Deployment",
        "componentName": name,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }


def assert_strictly_valid(cluster: Cluster, namespace: str, live: dict[str, Any]) -> None:
    """The graph as stored, submitted again under another name with strict field validation."""
    body = {
        "apiVersion": live["apiVersion"],
        "kind": live["kind"],
        "metadata": {"name": f"{live['metadata']['name']}-strict", "labels": live["metadata"]["labels"]},
        "spec": copy.deepcopy(live["spec"]),
    }
    resource = DynamicClient(cluster.api_client).resources.get(api_version=f"{DG}/{DV}", kind=live["kind"])
    created = resource.create(
        body=body, namespace=namespace, dry_run="All", query_params=[("fieldValidation", "Strict")]
    ).to_dict()
    assert created["spec"] == live["spec"]


def test_dynamo_graph_lifecycle(cluster: Cluster, namespace: str, operator: Operator) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md("qwen"))
    live = wait_for(lambda: graph(cluster, namespace, "qwen"), 60, "the DynamoGraphDeployment")
    services = live["spec"]["services"]
    assert sorted(services) == ["Frontend", "VllmWorker"]
    assert services["Frontend"]["extraPodSpec"]["mainContainer"]["env"] == [
        {"name": "DYN_ROUTER_MODE", "value": "kv"}
    ]
    assert services["VllmWorker"]["resources"]["limits"] == {"gpu": "1", "memory": "16Gi"}
    assert services["VllmWorker"]["envFromSecret"] == "hf-token"
    assert "routerMode" not in live, "typed overrides never reach the graph's root"
    assert live["metadata"]["ownerReferences"][0]["kind"] == "ModelDeployment"
    assert live["metadata"]["labels"]["airunway.ai/model-id"] == "Qwen-Qwen3-0.6B"
    assert_strictly_valid(cluster, namespace, live)
    status = wait_for(lambda: phase_is(cluster, namespace, "qwen", "Deploying"), 30, "phase Deploying")
    provider = status["provider"]
    assert (provider["name"], provider["resourceName"], provider["resourceKind"]) == (
        "dynamo",
        "qwen",
        "DynamoGraphDeployment",
    )
    assert f"Created DynamoGraphDeployment {namespace}/qwen for ModelDeployment qwen" in operator.output()

    # The Dynamo operator reports the graph ready.
    ready = {
        "state": "successful",
        "services": {
            "Frontend": service_status("qwen-frontend", 1, 1),
            "VllmWorker": service_status("qwen-vllmworker", 1, 1),
        },
    }
    cluster.custom.patch_namespaced_custom_object_status(DG, DV, namespace, DGD, "qwen", {"status": ready})
    status = wait_for(lambda: phase_is(cluster, namespace, "qwen", "Running"), 30, "phase Running")
    assert status["replicas"] == {"desired": 2, "ready": 2, "available": 2}
    assert status["endpoint"] == {"service": "qwen-frontend", "port": 8000}
    assert status["message"] == "DynamoGraphDeployment created, pods are ready"
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["Ready"] == ("True", "DeploymentReady")
    assert conditions["ProviderCompatible"] == ("True", "CompatibilityVerified")
    assert conditions["ResourceCreated"] == ("True", "ResourceCreated")

    # A hand edit of the graph's spec is reverted; the Dynamo operator's annotation stays (D21).
    cluster.custom.patch_namespaced_custom_object(
        DG,
        DV,
        namespace,
        DGD,
        "qwen",
        {
            "metadata": {"annotations": {"nvidia.com/restart": "1"}},
            "spec": {"services": {"VllmWorker": {"replicas": 5}}},
        },
    )
    reverted = wait_for(
        lambda: (
            (g := graph(cluster, namespace, "qwen"))
            and g["spec"]["services"]["VllmWorker"]["replicas"] == 1
            and g
        ),
        30,
        "the hand edit to be reverted",
    )
    assert reverted["metadata"]["annotations"] == {"nvidia.com/restart": "1"}
    assert reverted["status"]["state"] == "successful"
    assert f"Updated DynamoGraphDeployment {namespace}/qwen for ModelDeployment qwen" in operator.output()

    # An unchanged graph is not written again.
    version = reverted["metadata"]["resourceVersion"]
    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "qwen", {"metadata": {"labels": {"x": "y"}}}
    )
    wait_for(lambda: phase_is(cluster, namespace, "qwen", "Running"), 30, "phase Running again")
    assert (graph(cluster, namespace, "qwen") or {})["metadata"]["resourceVersion"] == version

    # The graph fails: the first False condition's message reaches the ModelDeployment (D14).
    failed = {
        "state": "failed",
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "WorkerCrashLoop",
                "message": "VllmWorker is crash looping",
                "lastTransitionTime": NOW,
            }
        ],
    }
    cluster.custom.patch_namespaced_custom_object_status(DG, DV, namespace, DGD, "qwen", {"status": failed})
    status = wait_for(lambda: phase_is(cluster, namespace, "qwen", "Failed"), 30, "phase Failed")
    assert status["message"] == "VllmWorker is crash looping"
    failed_ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert (failed_ready["status"], failed_ready["reason"]) == ("False", "DeploymentFailed")
    assert failed_ready["message"] == "VllmWorker is crash looping"

    # Deletion removes the graph, then the finalizer, then the ModelDeployment.
    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "qwen")

    def gone() -> bool:
        try:
            cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "qwen")
            return False
        except ApiException as err:
            return err.status == 404 and graph(cluster, namespace, "qwen") is None

    wait_for(gone, 60, "the ModelDeployment and its DynamoGraphDeployment to be deleted")
    log = operator.output()
    assert f"Deleting DynamoGraphDeployment {namespace}/qwen of ModelDeployment qwen" in log
    assert f"Released finalizer airunway.ai/dynamo-provider of ModelDeployment {namespace}/qwen" in log


def test_dynamo_registers_a_ready_provider_config(cluster: Cluster, operator: Operator) -> None:
    def ready() -> dict[str, Any] | None:
        body = get_or_none(
            cluster.custom.get_cluster_custom_object, G, V, constants.PROVIDERCONFIG_PLURAL, "dynamo"
        )
        status = (body or {}).get("status") or {}
        return body if status.get("ready") is True else None

    body = wait_for(ready, 30, "InferenceProviderConfig dynamo to be ready")
    assert body["status"]["upstreamCRDVersion"] == "nvidia.com/v1alpha1"
    assert body["metadata"]["annotations"]["airunway.ai/display-name"] == "Dynamo"


def test_mocker_graph_needs_no_gpu(cluster: Cluster, namespace: str, operator: Operator) -> None:
    body = md("mock")
    body["metadata"]["annotations"] = {"airunway.ai/dynamo-test-backend": "mocker"}
    del body["spec"]["resources"]
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
    live = wait_for(lambda: graph(cluster, namespace, "mock"), 60, "the mocker DynamoGraphDeployment")
    worker = live["spec"]["services"]["VllmWorker"]
    assert worker["extraPodSpec"]["mainContainer"]["command"] == ["python3", "-m", "dynamo.mocker"]
    assert "gpu" not in worker["resources"]["limits"]
    assert_strictly_valid(cluster, namespace, live)


def test_managed_storage_is_referenced_by_the_graph_and_cleaned_up(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    body = md("store")
    body["spec"]["model"]["storage"] = {
        "volumes": [{"name": "kernels", "purpose": "compilationCache", "size": "10Gi"}]
    }
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
    live = wait_for(lambda: graph(cluster, namespace, "store"), 60, "the DynamoGraphDeployment")
    assert live["spec"]["pvcs"] == [{"name": "store-kernels", "create": False}]
    assert live["spec"]["services"]["VllmWorker"]["volumeMounts"] == [
        {"name": "store-kernels", "mountPoint": "/compilation-cache", "useAsCompilationCache": True}
    ]
    claim = cluster.core.read_namespaced_persistent_volume_claim("store-kernels", namespace)
    assert claim.metadata.owner_references[0].name == "store"
    assert_strictly_valid(cluster, namespace, live)

    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "store")

    def claim_gone() -> bool:
        found = get_or_none(cluster.core.read_namespaced_persistent_volume_claim, "store-kernels", namespace)
        return (found is None or found.metadata.deletion_timestamp is not None) and graph(
            cluster, namespace, "store"
        ) is None

    wait_for(claim_gone, 60, "the graph and the managed claim to be deleted")
