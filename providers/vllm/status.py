"""Direct vLLM status: the shared Deployment translator on the primary Deployment `<md>`, port 8000
(SPEC-providers §6.5 → §5.6). Pure."""

from __future__ import annotations

from airunway_operator.sdk import ModelDeployment
from providers import workloads
from providers.base import Observed, ProviderStatus


def map_status(md: ModelDeployment, observed: Observed) -> ProviderStatus:
    """Phase, message, replicas and endpoint `<md>:8000`; Pending with nothing else while the
    Deployment does not exist. Never raises."""
    primary = observed.get(workloads.DEPLOYMENT.kind, md.metadata.name or "")
    return workloads.map_deployment_status(primary, workloads.HTTP_PORT)
