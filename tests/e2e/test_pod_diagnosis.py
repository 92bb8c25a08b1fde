"""End to end on the local control plane: status says why pods do not serve, from the pod watch.

A Direct vLLM ModelDeployment whose nodeSelector matches no kwok node (the `qwen-custom` sample asks
for an A100; the fake nodes are H100s) reports the scheduler's own message in `Ready` and
`status.message`; fixing the nodeSelector brings it to Running with the message cleared. A crash
loop is simulated by writing a pod's status as the kubelet would (kwok leaves a Running pod alone).
KAITO's pods are found by KAITO's own label (`kaito.sh/workspace`), with a stand-in KAITO controller
and a pod created here as KAITO's StatefulSet would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.controlplane.nodes import GPU_PRODUCT
from tests.e2e.test_kaito_provider import KAITO_NS, fake_kaito_controller
from tests.e2e.test_kaito_provider import md as kaito_md
from tests.operator_process import Operator
from tests.support import vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
PRODUCT_LABEL = "nvidia.com/gpu.product"
NO_SUCH_GPU = "NVIDIA-A100-SXM4-80GB"
SCHEDULER_REASON = "didn't match Pod's node affinity/selector"


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("pods") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return dict(body.get("status") or {})


def ready_condition(status: dict[str, Any]) -> dict[str, Any]:
    return next((c for c in status.get("conditions") or () if c["type"] == "Ready"), {})


def saying(cluster: Cluster, namespace: str, name: str, text: str) -> dict[str, Any] | None:
    """The status once both `Ready`'s message and `status.message` contain `text`."""
    status = status_of(cluster, namespace, name)
    if text in ready_condition(status).get("message", "") and text in status.get("message", ""):
        return status
    return None


def running(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    status = status_of(cluster, namespace, name)
    return status if status.get("phase") == "Running" else None


def pod_names(cluster: Cluster, namespace: str, name: str) -> list[str]:
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=f"airunway.ai/deployment={name}")
    return sorted(p.metadata.name for p in pods.items if p.metadata.deletion_timestamp is None)


def test_unschedulable_pods_say_why_until_the_node_selector_is_fixed(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    body = vllm_md("qwen-custom")
    body["spec"]["nodeSelector"] = {PRODUCT_LABEL: NO_SUCH_GPU}
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)

    status = wait_for(
        lambda: saying(cluster, namespace, "qwen-custom", SCHEDULER_REASON), 60, "the scheduler's reason"
    )
    [pod] = pod_names(cluster, namespace, "qwen-custom")
    ready = ready_condition(status)
    assert status["phase"] == "Deploying"
    assert (ready["status"], ready["reason"]) == ("False", "DeploymentInProgress")
    assert ready["message"] == status["message"]
    assert status["message"].startswith(f"Pod {pod} cannot be scheduled (Unschedulable): 0/")
    assert "preemption" not in status["message"]

    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "qwen-custom", {"spec": {"nodeSelector": {PRODUCT_LABEL: GPU_PRODUCT}}}
    )
    status = wait_for(lambda: running(cluster, namespace, "qwen-custom"), 90, "Running on the fixed selector")
    assert status["message"] == "Deployments created, pods are ready"
    assert ready_condition(status)["message"] == "All replicas are ready"


def test_a_crash_loop_is_reported_and_cleared_when_the_pod_is_replaced(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("crashy"))
    wait_for(lambda: running(cluster, namespace, "crashy"), 90, "the ModelDeployment to run")
    [pod] = pod_names(cluster, namespace, "crashy")

    # What the kubelet writes for a container that exited 1 and is waiting out its back-off; kwok
    # only readies Pending pods, so it leaves this one as it is.
    cluster.core.patch_namespaced_pod_status(pod, namespace, crash_looping_status())
    expected = f"Pod {pod} container vllm keeps crashing (CrashLoopBackOff): last exit code 1 (Error): "
    status = wait_for(lambda: saying(cluster, namespace, "crashy", expected), 60, "the crash loop reported")
    assert status["message"] == expected + "ValueError: unknown model Qwen/Qwen2.5-0.5B-Instruct"
    assert status["phase"] == "Deploying"
    assert ready_condition(status)["reason"] == "DeploymentInProgress"

    # The ReplicaSet replaces a deleted pod; kwok readies the new one, and the message goes.
    cluster.core.delete_namespaced_pod(pod, namespace, grace_period_seconds=0)
    status = wait_for(lambda: running(cluster, namespace, "crashy"), 90, "Running again")
    assert status["message"] == "Deployments created, pods are ready"


def crash_looping_status() -> dict[str, Any]:
    not_ready = {
        "status": "False",
        "reason": "ContainersNotReady",
        "message": "containers with unready status: [vllm]",
    }
    return {
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", **not_ready},
                {"type": "ContainersReady", **not_ready},
            ],
            "containerStatuses": [
                {
                    "name": "vllm",
                    "image": "vllm/vllm-openai:v0.9.1",
                    "imageID": "",
                    "ready": False,
                    "started": False,
                    "restartCount": 4,
                    "state": {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": "back-off 1m20s restarting failed container=vllm",
                        }
                    },
                    "lastState": {
                        "terminated": {
                            "exitCode": 1,
                            "reason": "Error",
                            "message": "Traceback (most recent call last):\n"
                            "ValueError: unknown model Qwen/Qwen2.5-0.5B-Instruct\n",
                            "startedAt": "2026-12-04T11:00:00Z",
                            "finishedAt": "2026-12-04T11:00:09Z",
                        }
                    },
                }
            ],
        }
    }


def test_kaito_workspace_pods_are_found_by_kaitos_label(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    stand_in_kaito_controller(cluster)
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--providers", "kaito", "--no-webhook")
    try:
        op.wait_healthy()
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, kaito_md("phi"))
        wait_for(lambda: status_of(cluster, namespace, "phi").get("phase") == "Deploying", 60, "Deploying")

        # What KAITO's StatefulSet creates for Workspace `phi` (its pod template labels), asking for
        # a GPU no node has.
        cluster.core.create_namespaced_pod(namespace, workspace_pod("phi-0", "phi"))
        status = wait_for(
            lambda: saying(cluster, namespace, "phi", SCHEDULER_REASON), 60, "the scheduler's reason"
        )
        assert status["message"].startswith("Pod phi-0 cannot be scheduled (Unschedulable): 0/")
        assert ready_condition(status)["reason"] == "DeploymentInProgress"

        cluster.core.delete_namespaced_pod("phi-0", namespace, grace_period_seconds=0)
        wait_for(
            lambda: "Unschedulable" not in status_of(cluster, namespace, "phi").get("message", ""),
            60,
            "the message to clear once the pod is gone",
        )
        assert status_of(cluster, namespace, "phi")["phase"] == "Deploying"
    finally:
        op.kill()


def stand_in_kaito_controller(cluster: Cluster) -> None:
    """A ready Deployment where KAITO's health probe looks for its controller (kept for other tests)."""
    for create, args in (
        (cluster.core.create_namespace, ({"metadata": {"name": KAITO_NS}},)),
        (cluster.apps.create_namespaced_deployment, (KAITO_NS, fake_kaito_controller(1))),
    ):
        try:
            create(*args)
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


def workspace_pod(name: str, workspace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"kaito.sh/workspace": workspace}},
        "spec": {
            "nodeSelector": {PRODUCT_LABEL: NO_SUCH_GPU},
            "containers": [{"name": "inference", "image": "mcr.microsoft.com/aks/kaito/kaito-base:0.0.8"}],
        },
    }
