from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from airunway_backend import runtimes, schemas
from airunway_backend.deps import Caller

router = APIRouter()


@router.get("/runtimes", response_model=schemas.Runtimes)
async def list_runtimes(kube: Caller) -> dict[str, Any]:
    """The providers registered as InferenceProviderConfigs."""
    return {"items": runtimes.runtimes(await kube.provider_configs(), datetime.now(UTC))}
