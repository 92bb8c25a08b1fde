"""Direct vLLM: a plain Deployment and Service running the vLLM OpenAI server (SPEC-providers §6).

No upstream operator: the provider renders `apps/v1` and `v1` objects itself, applies them with
server-side apply under `vllm-provider`, and pins the default image by digest when image
resolution is enabled (`image`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from providers.base import Provider
from providers.vllm import capabilities, compatibility, image, render, status
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
    # The composition root: no registry client exists yet, and the clock only dates resolved images.
    pre_step=image.make_pre_step(image.no_registry_client, lambda: datetime.now(UTC)),
    admission_warnings=compatibility.warnings,
    # Managed claims and the model download come from the shared storage pipeline (D4).
    uses_storage=True,
    pod_label="airunway.ai/deployment",  # the Deployment's selector label (workloads.selector_labels)
    settings={image.SETTING: "image resolution of the default image: off, best-effort or required"},
)

__all__ = ["PROVIDER"]
