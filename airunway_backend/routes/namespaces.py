from __future__ import annotations

from fastapi import APIRouter

from airunway_backend import schemas
from airunway_backend.deps import Caller

router = APIRouter()


@router.get("/namespaces", response_model=schemas.Names)
async def namespaces(kube: Caller) -> dict[str, list[str]]:
    return {"items": sorted(str(ns["metadata"]["name"]) for ns in await kube.namespaces())}
