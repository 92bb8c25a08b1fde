"""KubeRay: serves a ModelDeployment through one KubeRay `RayService` (SPEC-providers §4).

vLLM runs inside a Ray Serve application on a Ray cluster with one GPU worker group (aggregated)
or prefill and decode groups (disaggregated). The IPC is ready while the RayService CRD exists.
Updates are full replaces when a desired field differs from the live object (`drift`, D12); the
RayService is deleted explicitly when the ModelDeployment goes (§4.6, D15).
"""

from __future__ import annotations

from typing import Final

from providers.base import Provider
from providers.common import MODEL_DEPLOYMENT_LABEL
from providers.kuberay import capabilities, compatibility, drift, render, status

__all__ = ["PROVIDER", "capabilities", "compatibility", "drift", "render", "status"]

PROVIDER: Final[Provider] = Provider(
    name=capabilities.NAME,
    display_name=capabilities.DISPLAY_NAME,
    field_manager="kuberay-provider",
    targets=(render.RAY_SERVICE,),
    primary=render.RAY_SERVICE,
    config=capabilities.config,
    check_compatibility=compatibility.check,
    render=render.render,
    map_status=status.map_status,
    admission_warnings=compatibility.admission_warnings,
    sync_replace=drift.sync_replace,
    readiness_crd=capabilities.CRD_NAME,
    # The label the head and worker pod templates carry (value: the ModelDeployment's name).
    pod_label=MODEL_DEPLOYMENT_LABEL,
)
