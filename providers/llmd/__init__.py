"""llm-d: vLLM Deployments and Services rendered directly, scheduled by the llm-d Endpoint Picker
(SPEC-providers §5).

No upstream CRD or chart: the provider renders `apps/v1` Deployments and `v1` Services itself
(`<md>`, or `<md>-decode` and `<md>-prefill` with PyNccl KV transfer in disaggregated mode) and
applies them with server-side apply under `llmd-provider`. Its InferenceProviderConfig hands the
core the llm-d inference scheduler image and its `EndpointPickerConfig`; the core runs the gateway
objects. Storage volumes are mounted as for Direct vLLM, with the claims and the model download
run by the shared storage pipeline (D4). In disaggregated mode status reads BOTH Deployments, a
deliberate difference from upstream (see `status`).
"""

from __future__ import annotations

from typing import Final

from providers import common
from providers.base import Provider
from providers.llmd import capabilities, compatibility, render, status
from providers.workloads import DEPLOYMENT, SERVICE

PROVIDER: Final[Provider] = Provider(
    name=capabilities.NAME,
    display_name=capabilities.DISPLAY_NAME,
    field_manager="llmd-provider",
    targets=(DEPLOYMENT, SERVICE),
    primary=DEPLOYMENT,
    config=capabilities.config,
    check_compatibility=compatibility.check,
    render=render.render,
    map_status=status.map_status,
    admission_warnings=compatibility.warnings,
    uses_storage=True,
    pod_label=common.DEPLOYMENT_LABEL,
)

__all__ = ["PROVIDER", "capabilities", "compatibility", "render", "status"]
