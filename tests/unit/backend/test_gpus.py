from __future__ import annotations

from typing import Any

from airunway_backend import gpus
from tests.controlplane.nodes import gpu_node


def ready(node: dict[str, Any], is_ready: bool = True) -> dict[str, Any]:
    node["status"]["conditions"] = [{"type": "Ready", "status": "True" if is_ready else "False"}]
    return node


def gpu_pod(node: str, count: int, phase: str = "Running", init: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "nodeName": node,
        "containers": [
            {"name": "main", "resources": {"limits": {"nvidia.com/gpu": str(count)}}},
            {"name": "sidecar", "resources": {}},
        ],
    }
    if init:
        spec["initContainers"] = [{"name": "init", "resources": {"requests": {"nvidia.com/gpu": str(init)}}}]
    return {"spec": spec, "status": {"phase": phase}}


def cpu_node() -> dict[str, Any]:
    return ready(
        {
            "metadata": {"name": "cpu-0", "labels": {}},
            "status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "4"}},
        }
    )


def test_capacity_of_the_local_planes_gpu_nodes_less_what_pods_hold() -> None:
    nodes = [ready(gpu_node(0)), ready(gpu_node(1)), cpu_node()]
    pods = [
        gpu_pod("kwok-gpu-0", 3),
        gpu_pod("kwok-gpu-0", 1, init=2),
        gpu_pod("kwok-gpu-0", 4, phase="Succeeded"),  # finished: holds nothing
        gpu_pod("", 8, phase="Pending"),  # not scheduled: holds nothing yet
    ]
    answer = gpus.capacity(nodes, pods)
    assert (answer["total"], answer["allocated"], answer["available"], answer["maxPerNode"]) == (16, 5, 11, 8)
    assert answer["nodes"][0] == {
        "name": "kwok-gpu-0",
        "pool": "Standard_ND96isr_H100_v5",
        "product": "NVIDIA-H100-80GB-HBM3",
        "memoryMiB": 81559,
        "capacity": 8,
        "allocatable": 8,
        "allocated": 5,
        "available": 3,
        "ready": True,
    }
    assert [n["name"] for n in answer["nodes"]] == ["kwok-gpu-0", "kwok-gpu-1"]
    assert answer["pools"] == [
        {
            "name": "Standard_ND96isr_H100_v5",
            "product": "NVIDIA-H100-80GB-HBM3",
            "nodes": 2,
            "capacity": 16,
            "allocated": 5,
            "available": 11,
            "maxPerNode": 8,
        }
    ]


def test_pools_follow_the_managed_cluster_label_and_a_not_ready_node_offers_nothing() -> None:
    a100 = ready(gpu_node(0, gpus=4, product="NVIDIA-A100-SXM4-80GB"), is_ready=False)
    a100["metadata"]["labels"]["kubernetes.azure.com/agentpool"] = "a100pool"
    h100 = ready(gpu_node(1))
    answer = gpus.capacity([a100, h100], [])
    pools = {p["name"]: p for p in answer["pools"]}
    assert set(pools) == {"a100pool", "Standard_ND96isr_H100_v5"}
    assert (pools["a100pool"]["capacity"], pools["a100pool"]["available"]) == (4, 0)
    assert pools["a100pool"]["product"] == "NVIDIA-A100-SXM4-80GB"
    assert answer["available"] == 8


def test_no_gpu_nodes_is_all_zero() -> None:
    assert gpus.capacity([cpu_node()], []) == {
        "total": 0,
        "allocated": 0,
        "available": 0,
        "maxPerNode": 0,
        "nodes": [],
        "pools": [],
    }
