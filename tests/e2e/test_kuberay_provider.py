"""End to end on the local control plane: a KubeRay ModelDeployment gets a RayService that the
vendored CRD accepts with strict field validation and that holds the whole render (nothing
pruned); RayService status (written here as KubeRay would) maps to Running with replicas and the
`<md>-serve-svc:8000` endpoint, and to Failed with the application's message; a hand edit is
reverted; deletion removes the RayService and the finalizer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.dynamic import DynamicClient

from airunway_operator.api import constants
from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from providers.base import RenderContext
from providers.kuberay import PROVIDER, drift
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import get_or_none, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
RAY = ("ray.io", "v1")
NOW = "2026-12-04T12:00:00Z"
FINALIZER = "airunway.ai/kuberay-provider"


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("kuberay") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "kuberay", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def md_body(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {
            "model": {"id": "Qwen/Qwen2.5-7B-Instruct"},
            "engine": {"type": "vllm", "contextLength": 8192},
            "provider": {"name": "kuberay"},
            "scaling": {"replicas": 2},
            "resources": {"gpu": {"count": 2}, "memory": "64Gi"},
            "env": [{"name": "VLLM_LOGGING_LEVEL", "value": "INFO"}],
            "secrets": {"huggingFaceToken": "hf-token"},
        },
    }


def get_md(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    return get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, name)


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return dict((get_md(cluster, namespace, name) or {}).get("status") or {})


def ray_service(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    return get_or_none(cluster.custom.get_namespaced_custom_object, *RAY, namespace, "rayservices", name)


def set_ray_status(cluster: Cluster, namespace: str, name: str, status: dict[str, Any]) -> None:
    cluster.custom.patch_namespaced_custom_object_status(
        *RAY, namespace, "rayservices", name, {"status": status}
    )


def ray_status(ready: str, message: str, app_status: str, app_message: str = "") -> dict[str, Any]:
    """RayService status as KubeRay writes it: the readiness condition and the application."""
    return {
        "conditions": [
            {
                "type": "RayServiceReady",
                "status": ready,
                "reason": "Test",
                "message": message,
                "lastTransitionTime": NOW,
            }
        ],
        "activeServiceStatus": {
            "applicationStatuses": {"llm": {"status": app_status, "message": app_message}}
        },
    }


def phase_is(cluster: Cluster, namespace: str, name: str, phase: str) -> dict[str, Any] | None:
    status = status_of(cluster, namespace, name)
    return status if status.get("phase") == phase else None


def assert_strictly_valid(cluster: Cluster, namespace: str, live: dict[str, Any]) -> None:
    """The stored RayService, submitted again under another name with strict field validation."""
    body = {
        "apiVersion": live["apiVersion"],
        "kind": live["kind"],
        "metadata": {"name": "strict-check", "labels": live["metadata"]["labels"]},
        "spec": live["spec"],
    }
    resource = DynamicClient(cluster.api_client).resources.get(api_version="ray.io/v1", kind="RayService")
    resource.create(
        body=body, namespace=namespace, dry_run="All", query_params=[("fieldValidation", "Strict")]
    )


def test_kuberay_ray_service_lifecycle(cluster: Cluster, namespace: str, operator: Operator) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md_body("qwen"))
    live = wait_for(lambda: ray_service(cluster, namespace, "qwen"), 60, "the RayService")
    md = ModelDeployment.parse(get_md(cluster, namespace, "qwen") or {})
    [desired] = PROVIDER.render(md, RenderContext(EngineType.VLLM))
    # Everything rendered was stored (nothing pruned) and the stored object is valid as written.
    assert drift.is_in_sync(desired, live)
    assert_strictly_valid(cluster, namespace, live)
    assert live["metadata"]["ownerReferences"][0]["kind"] == "ModelDeployment"
    assert live["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0][
        "resources"
    ]["limits"] == {"memory": "64Gi", "nvidia.com/gpu": "2"}
    status = wait_for(lambda: phase_is(cluster, namespace, "qwen", "Deploying"), 30, "phase Deploying")
    assert status["message"] == "RayService created, waiting for pods to be ready"
    assert status["provider"]["resourceKind"] == "RayService"
    assert FINALIZER in (get_md(cluster, namespace, "qwen") or {})["metadata"]["finalizers"]

    set_ray_status(cluster, namespace, "qwen", ray_status("True", "", "RUNNING"))
    status = wait_for(lambda: phase_is(cluster, namespace, "qwen", "Running"), 30, "phase Running")
    assert status["replicas"] == {"desired": 2, "ready": 2, "available": 2}
    assert status["endpoint"] == {"service": "qwen-serve-svc", "port": 8000}
    assert status["message"] == "RayService created, pods are ready"
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["Ready"] == ("True", "DeploymentReady")
    assert conditions["ProviderCompatible"] == ("True", "CompatibilityVerified")
    assert conditions["ResourceCreated"] == ("True", "ResourceCreated")

    # The passes that led here compared the render with the stored object, which carries KubeRay's
    # schema defaults (numOfHosts, ...): they are not drift, so nothing was rewritten.
    assert "Updated RayService" not in operator.output()

    # A hand edit of a rendered field is reverted by a full replace.
    version = ray_service(cluster, namespace, "qwen")["metadata"]["resourceVersion"]  # type: ignore[index]
    edited = copy.deepcopy(ray_service(cluster, namespace, "qwen"))
    assert edited is not None
    edited["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["replicas"] = 5
    cluster.custom.replace_namespaced_custom_object(*RAY, namespace, "rayservices", "qwen", edited)
    wait_for(
        lambda: (
            (ray_service(cluster, namespace, "qwen") or {})["spec"]["rayClusterConfig"]["workerGroupSpecs"][
                0
            ]["replicas"]
            == 2
        ),
        30,
        "the hand edit to be reverted",
    )
    assert ray_service(cluster, namespace, "qwen")["metadata"]["resourceVersion"] != version  # type: ignore[index]

    failing = ray_status("False", "serve application unhealthy", "DEPLOY_FAILED", "ImportError: vllm_serve")
    set_ray_status(cluster, namespace, "qwen", failing)
    status = wait_for(lambda: phase_is(cluster, namespace, "qwen", "Failed"), 30, "phase Failed")
    assert status["message"] == "ImportError: vllm_serve"
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "DeploymentFailed",
        "ImportError: vllm_serve",
    )
    assert status["replicas"]["ready"] == 0

    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "qwen")
    wait_for(
        lambda: (
            get_md(cluster, namespace, "qwen") is None and ray_service(cluster, namespace, "qwen") is None
        ),
        60,
        "the ModelDeployment and its RayService to be deleted",
    )
    assert f"Created RayService {namespace}/qwen for ModelDeployment qwen" in operator.output()
