from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from airunway_backend import catalog, hub, schemas, user_settings
from airunway_backend.deps import Caller, State
from airunway_backend.kube import KubeError

router = APIRouter()


@router.get("/models", response_model=schemas.Models)
async def models(
    state: State,
    kube: Caller,
    search: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The catalog and custom models; with `search`, those matching plus the hub's results."""
    try:
        settings = user_settings.from_config_map(
            await kube.config_map(state.config.namespace, user_settings.CONFIG_MAP)
        )
    except KubeError:
        # A caller who may not read the settings still gets the catalog.
        settings = user_settings.UserSettings()
    known = catalog.merged(settings.customModels)
    hub_info: dict[str, Any] = {"reachable": None, "message": "not asked"}
    if search and search.strip():
        known = catalog.matching(known, search)
        endpoint = settings.huggingFaceEndpoint or state.config.hf_endpoint
        answer = await hub.search(endpoint, search.strip(), limit, state.config.hf_timeout_seconds)
        hub_info = {"reachable": answer.reachable, "message": answer.message}
        ids = {m.id for m in known}
        known += [m for m in answer.models if m.id not in ids]
    return {"items": [m.model_dump(mode="json") for m in known], "hub": hub_info}
