"""The local control plane is real: kwok GPU nodes schedule GPU pods, over-requests stay Pending."""

from __future__ import annotations

from typing import Any

from tests.conftest import Cluster
from tests.controlplane import nodes
from tests.support import wait_for


def _gpu_deployment(name: str, replicas: int, gpus: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "server",
                            "image": "vllm/vllm-openai:v0.11.0",
                            "resources": {"limits": {"nvidia.com/gpu": str(gpus)}},
                        }
                    ]
                },
            },
        },
    }


def test_kwok_gpu_nodes_are_ready_with_gpus(cluster: Cluster) -> None:
    gpu_nodes = cluster.core.list_node(label_selector="type=kwok").items
    assert len(gpu_nodes) >= 4
    for node in gpu_nodes:
        assert node.status.allocatable["nvidia.com/gpu"] == str(nodes.GPU_PER_NODE)
        assert node.metadata.labels["nvidia.com/gpu.product"] == nodes.GPU_PRODUCT
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)


def test_gpu_requesting_deployment_reaches_available(cluster: Cluster, namespace: str) -> None:
    cluster.apps.create_namespaced_deployment(namespace, _gpu_deployment("gpu-server", replicas=2, gpus=4))

    def available() -> bool:
        status = cluster.apps.read_namespaced_deployment_status("gpu-server", namespace).status
        conditions = {c.type: c.status for c in status.conditions or []}
        return status.available_replicas == 2 and conditions.get("Available") == "True"

    wait_for(available, 90, "the GPU Deployment to become Available")
    pods = cluster.core.list_namespaced_pod(namespace, label_selector="app=gpu-server").items
    assert {p.status.phase for p in pods} == {"Running"}
    assert all(p.spec.node_name.startswith("kwok-gpu-") for p in pods)


def test_pod_asking_more_gpus_than_any_node_stays_pending(cluster: Cluster, namespace: str) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "too-big"},
        "spec": {
            "containers": [
                {
                    "name": "server",
                    "image": "vllm/vllm-openai:v0.11.0",
                    "resources": {"limits": {"nvidia.com/gpu": str(nodes.GPU_PER_NODE + 1)}},
                }
            ]
        },
    }
    cluster.core.create_namespaced_pod(namespace, pod)

    def unschedulable() -> str | None:
        status = cluster.core.read_namespaced_pod_status("too-big", namespace).status
        scheduled = next((c for c in status.conditions or [] if c.type == "PodScheduled"), None)
        return scheduled.message if scheduled and scheduled.reason == "Unschedulable" else None

    message = wait_for(unschedulable, 60, "the scheduler to report the pod Unschedulable")
    assert "Insufficient nvidia.com/gpu" in str(message)
    assert cluster.core.read_namespaced_pod_status("too-big", namespace).status.phase == "Pending"
