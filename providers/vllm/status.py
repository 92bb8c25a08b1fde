"""Direct vLLM status: the shared Deployment translator on the primary Deployment `<md>`, port 8000
(SPEC-providers §6.5 → §5.6). Pure."""

from __future__ import annotations

from airunway_operator.api.modeldeployment import ModelDeployment
from providers import workloads
from providers.base import Manifest, ProviderStatus


def map_status(md: ModelDeployment, primary: Manifest | None) -> ProviderStatus:
    """Phase, message, replicas and endpoint `<md>:8000`; Pending with nothing else while the
    Deployment does not exist. Never raises."""
    del md
    return workloads.map_deployment_status(primary, workloads.HTTP_PORT)
