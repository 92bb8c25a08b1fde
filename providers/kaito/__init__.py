"""KAITO: serves a ModelDeployment through one KAITO `Workspace` (SPEC-providers §2).

vLLM runs as a KAITO preset (the model id is the preset name); llama.cpp runs as a pod template
with the user's image. Updates are JSON merge patches computed against the last-applied annotation
(`drift`). The upstream health probe's decision lives in `health`; the runtime performs its
cluster reads, on every IPC heartbeat and before rendering.
"""

from __future__ import annotations

from typing import Final

from providers.base import Provider
from providers.kaito import capabilities, compatibility, drift, health, render, status

__all__ = ["PROVIDER", "capabilities", "compatibility", "drift", "health", "render", "status"]

PROVIDER: Final[Provider] = Provider(
    name=capabilities.NAME,
    display_name=capabilities.DISPLAY_NAME,
    field_manager="kaito-provider",
    targets=(render.WORKSPACE,),
    config=capabilities.config,
    check_compatibility=compatibility.check,
    render=render.render_workspace,
    map_status=status.map_workspace,
    admission_warnings=compatibility.admission_warnings,
    sync_patch=drift.sync_patch,
)
