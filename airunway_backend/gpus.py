"""GPU capacity per node and per pool, from Node resources, NVIDIA GPU feature discovery labels and
the GPU requests of the pods bound to each node (pure: dicts in, dicts out)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

GPU_RESOURCE = "nvidia.com/gpu"
PRODUCT_LABEL = "nvidia.com/gpu.product"
MEMORY_LABEL = "nvidia.com/gpu.memory"
#: Node-pool labels of the common managed clusters and autoscalers, first match wins; a node
#: without any falls back to its instance type.
POOL_LABELS = (
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "node.kubernetes.io/instance-type",
)
FINISHED_PHASES = ("Succeeded", "Failed")


def _count(quantity: Any) -> int:
    """A whole-number extended resource quantity ("8", 8) as an int; anything else is 0."""
    try:
        return int(str(quantity))
    except (TypeError, ValueError):
        return 0


def pod_gpus(pod: dict[str, Any]) -> int:
    """GPUs a pod holds: the sum over its containers, or its largest init container if higher."""
    spec = pod.get("spec") or {}

    def requested(container: dict[str, Any]) -> int:
        resources = container.get("resources") or {}
        amount = (resources.get("requests") or {}).get(GPU_RESOURCE)
        if amount is None:
            amount = (resources.get("limits") or {}).get(GPU_RESOURCE)
        return _count(amount)

    main = sum(requested(c) for c in spec.get("containers") or [])
    init = max((requested(c) for c in spec.get("initContainers") or []), default=0)
    return max(main, init)


def allocated_by_node(pods: Iterable[dict[str, Any]]) -> dict[str, int]:
    allocated: dict[str, int] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or (pod.get("status") or {}).get("phase") in FINISHED_PHASES:
            continue
        allocated[node] = allocated.get(node, 0) + pod_gpus(pod)
    return allocated


def pool_of(labels: dict[str, str]) -> str:
    for key in POOL_LABELS:
        if labels.get(key):
            return labels[key]
    return "default"


def _ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def node_view(node: dict[str, Any], allocated: int) -> dict[str, Any]:
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    status = node.get("status") or {}
    capacity = _count((status.get("capacity") or {}).get(GPU_RESOURCE))
    allocatable = _count((status.get("allocatable") or {}).get(GPU_RESOURCE))
    memory = _count(labels.get(MEMORY_LABEL)) or None
    return {
        "name": meta.get("name"),
        "pool": pool_of(labels),
        "product": labels.get(PRODUCT_LABEL),
        "memoryMiB": memory,
        "capacity": capacity,
        "allocatable": allocatable,
        "allocated": allocated,
        "available": max(allocatable - allocated, 0),
        "ready": _ready(node),
    }


def capacity(nodes: Iterable[dict[str, Any]], pods: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The cluster's GPUs: totals, each GPU node, and each pool. Nodes without GPUs are left out;
    a node that is not Ready counts in its pool but offers nothing available."""
    allocated = allocated_by_node(pods)
    views = []
    for node in nodes:
        view = node_view(node, allocated.get(str((node.get("metadata") or {}).get("name")), 0))
        if view["capacity"] or view["allocatable"]:
            if not view["ready"]:
                view["available"] = 0
            views.append(view)
    views.sort(key=lambda v: (str(v["pool"]), str(v["name"])))
    pools: dict[str, dict[str, Any]] = {}
    for view in views:
        pool = pools.setdefault(
            view["pool"],
            {
                "name": view["pool"],
                "product": view["product"],
                "nodes": 0,
                "capacity": 0,
                "allocated": 0,
                "available": 0,
                "maxPerNode": 0,
            },
        )
        pool["nodes"] += 1
        pool["capacity"] += view["allocatable"]
        pool["allocated"] += view["allocated"]
        pool["available"] += view["available"]
        pool["maxPerNode"] = max(pool["maxPerNode"], view["available"])
        pool["product"] = pool["product"] or view["product"]
    return {
        "total": sum(v["allocatable"] for v in views),
        "allocated": sum(v["allocated"] for v in views),
        "available": sum(v["available"] for v in views),
        "maxPerNode": max((v["available"] for v in views), default=0),
        "nodes": views,
        "pools": list(pools.values()),
    }
