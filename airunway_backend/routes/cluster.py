from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from airunway_backend import gpus, schemas
from airunway_backend.deps import Caller

router = APIRouter(prefix="/cluster")


@router.get("/gpus", response_model=schemas.GpuCapacity)
async def gpu_capacity(kube: Caller) -> dict[str, Any]:
    """GPU capacity per node and pool, less what running pods already hold."""
    nodes, pods = await asyncio.gather(kube.nodes(), kube.bound_running_pods())
    return gpus.capacity(nodes, pods)
