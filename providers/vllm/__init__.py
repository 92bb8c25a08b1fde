"""Direct vLLM: a plain Deployment and Service running the vLLM OpenAI server (SPEC-providers §6).

No upstream operator: the provider renders `apps/v1` and `v1` objects itself, applies them with
server-side apply under `vllm-provider`, and pins the default image by digest through a registry
lookup in its pre-step (`image`, `lookup`, `registry`; D25: best effort by default).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from providers.base import Provider
from providers.vllm import capabilities, compatibility, image, lookup, render, status
from providers.workloads import DEPLOYMENT, SERVICE

PROVIDER: Final[Provider] = Provider(
    name=capabilities.NAME,
    display_name=capabilities.DISPLAY_NAME,
    field_manager="vllm-provider",
    targets=(DEPLOYMENT, SERVICE),
    primary=DEPLOYMENT,
    config=capabilities.config,
    check_compatibility=compatibility.check,
    render=render.render,
    map_status=status.map_status,
    # The composition root: a real registry client per registry setting; the clock dates images.
    pre_step=image.make_pre_step(lookup.resolver_for, lambda: datetime.now(UTC)),
    admission_warnings=compatibility.warnings,
    # Managed claims and the model download come from the shared storage pipeline (D4).
    uses_storage=True,
    pod_label="airunway.ai/deployment",  # the Deployment's selector label (workloads.selector_labels)
    settings={
        image.SETTING: "image resolution of the default image: best-effort (default), required or off",
        image.MIRROR_SETTING: "registry prefix for the default image (e.g. registry.example.com/dockerhub)",
        **lookup.SETTINGS,
    },
)

__all__ = ["PROVIDER"]
