from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from airunway_backend import schemas
from airunway_backend.deps import State
from airunway_backend.kube import KubeError

router = APIRouter()


@router.get("/health", response_model=schemas.Health)
async def health(state: State) -> dict[str, Any]:
    """Whether the backend reaches the Kubernetes API (with its own credentials; no token needed)."""
    try:
        version: str | None = await state.access.own.version()
        error = None
    except KubeError as err:
        version, error = None, str(err.detail.get("message"))
    return {
        "status": "ok" if error is None else "unavailable",
        "cluster": {"connected": error is None, "version": version, "error": error},
        "auth": {"enabled": state.config.auth},
    }
