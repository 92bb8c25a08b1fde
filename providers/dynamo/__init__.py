"""NVIDIA Dynamo: serves a ModelDeployment through one `DynamoGraphDeployment` (SPEC-providers §3).

Aggregated or disaggregated vLLM and SGLang, aggregated TensorRT-LLM; an Endpoint Picker and
frontend sidecars in gateway mode, a Frontend otherwise; a GPU-free mocker for test clusters.
Storage (managed PVCs and the model download) is the runtime's shared pipeline; the graph only
references the claims. Updates are full replaces when the spec drifts (`drift`).
"""

from __future__ import annotations

from typing import Final

from providers.base import Provider
from providers.dynamo import admission, capabilities, compatibility, drift, overrides, render, status

__all__ = ["PROVIDER"]

PROVIDER: Final[Provider] = Provider(
    name=capabilities.NAME,
    display_name=capabilities.DISPLAY_NAME,
    field_manager="dynamo-provider",
    targets=(render.DGD,),
    primary=render.DGD,
    config=capabilities.config,
    check_compatibility=compatibility.check,
    render=render.render,
    map_status=status.map_status,
    admission_warnings=admission.warnings,
    sync_replace=drift.sync_replace,
    uses_storage=True,
    readiness_crd=capabilities.CRD_NAME,
    report_conflicts=True,
    # The vendored CRD documents no pod label carrying the graph's name: no pod diagnosis.
    pod_label=None,
    allowed_override_paths=overrides.ALLOWED_PATHS,
    gpu_optional_annotation=compatibility.MOCKER_ANNOTATION,
    settings={
        render.VERSION_SETTING: (
            f"Dynamo release of the default images (runtime, planner, frontend); default "
            f"{capabilities.DEFAULT_VERSION}"
        )
    },
)
