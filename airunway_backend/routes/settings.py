from __future__ import annotations

from fastapi import APIRouter

from airunway_backend import user_settings
from airunway_backend.deps import Caller, State
from airunway_backend.user_settings import UserSettings

router = APIRouter(prefix="/settings")


@router.get("")
async def get_settings(state: State, kube: Caller) -> UserSettings:
    """The stored settings, or the defaults while none were saved."""
    return user_settings.from_config_map(
        await kube.config_map(state.config.namespace, user_settings.CONFIG_MAP)
    )


@router.put("")
async def put_settings(body: UserSettings, state: State, kube: Caller) -> UserSettings:
    """Store the settings (the ConfigMap is created on the first save)."""
    saved = await kube.save_config_map(
        state.config.namespace, user_settings.CONFIG_MAP, user_settings.to_data(body.with_custom_sources())
    )
    return user_settings.from_config_map(saved)
