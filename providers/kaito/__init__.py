"""KAITO: serves a ModelDeployment through one KAITO `Workspace` (SPEC-providers §2).

vLLM runs as a KAITO preset (the model id is the preset name); llama.cpp runs as a pod template
with the user's image. Updates are JSON merge patches computed against the last-applied annotation
(`drift`). The upstream health probe's decision lives in `health`; the runtime performs its
cluster reads, on every IPC heartbeat and before rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from providers.base import ProbeResult, Provider, UpstreamProbe
from providers.kaito import capabilities, compatibility, drift, health, render, status

__all__ = ["PROVIDER", "capabilities", "compatibility", "drift", "health", "render", "status"]


def _evaluate(served: bool | str, controllers: Mapping[str, Any] | str | None) -> ProbeResult:
    if isinstance(served, str):
        verdict = health.crd_check_failed(served)
    elif not served:
        verdict = health.assess(False, ())
    elif isinstance(controllers, str):
        verdict = health.controller_list_failed(controllers)
    else:
        verdict = health.assess(True, health.controllers_from_list(controllers or {}))
    return ProbeResult(verdict.healthy, verdict.reason, verdict.message)


PROVIDER: Final[Provider] = Provider(
    name=capabilities.NAME,
    display_name=capabilities.DISPLAY_NAME,
    field_manager="kaito-provider",
    targets=(render.WORKSPACE,),
    primary=render.WORKSPACE,
    config=capabilities.config,
    check_compatibility=compatibility.check,
    render=render.render_workspace,
    map_status=status.map_status,
    admission_warnings=compatibility.admission_warnings,
    pod_label="kaito.sh/workspace",  # KAITO labels its StatefulSet/Deployment pods with the Workspace name
    sync_patch=drift.sync_patch,
    settings={
        render.NODE_AUTO_PROVISIONING: "truthy (1, true, yes, on): Workspaces request instance types",
        render.GPU_INSTANCE_TYPE: "instance type for GPU Workspaces when node auto-provisioning is on",
        render.CPU_INSTANCE_TYPE: "instance type for CPU Workspaces when node auto-provisioning is on",
    },
    upstream_probe=UpstreamProbe(
        "workspaces.kaito.sh", health.CONTROLLER_LABEL, health.CONTROLLER_LABEL_VALUES, _evaluate
    ),
)
