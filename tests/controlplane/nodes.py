"""Fake GPU nodes managed by kwok: created with their capacity, made Ready by kwok's stages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.rest import ApiException

GPU_PER_NODE = 8
GPU_PRODUCT = "NVIDIA-H100-80GB-HBM3"
INSTANCE_TYPE = "Standard_ND96isr_H100_v5"


def gpu_node(index: int, gpus: int = GPU_PER_NODE, product: str = GPU_PRODUCT) -> dict[str, Any]:
    """A kwok-managed Node with `gpus` allocatable nvidia.com/gpu and NVIDIA GFD-style labels.

    The nodes are not tainted: every node of this plane is fake, so any workload may land there.
    """
    name = f"kwok-gpu-{index}"
    capacity = {"cpu": "96", "memory": "1800Gi", "pods": "110", "nvidia.com/gpu": str(gpus)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": INSTANCE_TYPE,
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": product,
                "nvidia.com/gpu.count": str(gpus),
                "nvidia.com/gpu.memory": "81559",
            },
        },
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def _is_ready(node: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))


def ensure_gpu_nodes(kubeconfig: Path, count: int, timeout: float = 60.0) -> list[str]:
    """Create the missing GPU nodes and wait until all `count` of them are Ready."""
    api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
    names = []
    for index in range(count):
        body = gpu_node(index)
        names.append(body["metadata"]["name"])
        try:
            api.create_node(body)
        except ApiException as err:
            if err.status != 409:
                raise
    deadline = time.monotonic() + timeout
    while True:
        ready = {n.metadata.name for n in api.list_node(label_selector="type=kwok").items if _is_ready(n)}
        if ready.issuperset(names):
            return names
        if time.monotonic() > deadline:
            raise TimeoutError(f"kwok GPU nodes not Ready after {timeout:.0f}s: {sorted(set(names) - ready)}")
        time.sleep(0.2)
