"""The upstream health decision for KAITO (§2.2): is the real KAITO workspace controller running?

Pure: the runtime performs the two cluster reads (is the Workspace CRD served; list Deployments in
all namespaces whose `CONTROLLER_LABEL` is one of `CONTROLLER_LABEL_VALUES`) and hands the answers
here; it writes the verdict as `UpstreamReady` on the InferenceProviderConfig and as `Ready=False`
on waiting ModelDeployments. Mirrors upstream `providers/kaito/upstream_health.go`, messages
included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

CONTROLLER_LABEL: Final = "app.kubernetes.io/name"
CONTROLLER_LABEL_VALUES: Final = ("workspace", "ai-toolchain-operator")
"""The Helm chart's controller, and the one the AKS AI toolchain operator add-on installs."""

UPSTREAM_HEALTHY: Final = "UpstreamHealthy"
CRD_MISSING: Final = "CRDMissing"
CONTROLLER_MISSING: Final = "UpstreamControllerMissing"
CONTROLLER_NOT_READY: Final = "UpstreamControllerNotReady"
PROBE_FAILED: Final = "ProbeFailed"

CRD_MISSING_MESSAGE: Final = "KAITO Workspace CRD not found. Install KAITO."
CONTROLLER_MISSING_MESSAGE: Final = (
    "The KAITO workspace controller is not running. Install KAITO with "
    "`helm install kaito-workspace kaito/workspace`, or enable the AKS AI toolchain operator "
    "add-on (`az aks update --enable-ai-toolchain-operator ...`)."
)


@dataclass(frozen=True)
class UpstreamHealth:
    """The probe's verdict: reason is one of the reason constants above."""

    healthy: bool
    reason: str
    message: str


@dataclass(frozen=True)
class ControllerDeployment:
    """One Deployment matched by `CONTROLLER_SELECTOR`, in the order the list returned it."""

    namespace: str
    name: str
    ready_replicas: int = 0


def assess(workspace_served: bool, controllers: Sequence[ControllerDeployment]) -> UpstreamHealth:
    """Steps 1-3 once both reads succeeded: the CRD must be served and some controller
    Deployment must have a ready replica (a ready one is preferred when naming it)."""
    if not workspace_served:
        return UpstreamHealth(False, CRD_MISSING, CRD_MISSING_MESSAGE)
    if not controllers:
        return UpstreamHealth(False, CONTROLLER_MISSING, CONTROLLER_MISSING_MESSAGE)
    ready = next((c for c in controllers if c.ready_replicas > 0), None)
    if ready is not None:
        return UpstreamHealth(
            True, UPSTREAM_HEALTHY, f"KAITO workspace controller {ready.namespace}/{ready.name} is ready"
        )
    first = controllers[0]
    return UpstreamHealth(
        False,
        CONTROLLER_NOT_READY,
        f"The KAITO workspace controller Deployment {first.namespace}/{first.name} exists "
        "but has no ready replicas.",
    )


def crd_check_failed(error: str) -> UpstreamHealth:
    """Step 1 failed for a reason other than "not served" (the error text is the caller's)."""
    return UpstreamHealth(False, PROBE_FAILED, f"check workspace crd: {error}")


def controller_list_failed(error: str) -> UpstreamHealth:
    """Step 2's Deployment list failed."""
    return UpstreamHealth(False, PROBE_FAILED, f"list deployments: {error}")


def controllers_from_list(deployment_list: Mapping[str, Any]) -> tuple[ControllerDeployment, ...]:
    """The step-2 inputs from a raw `DeploymentList` body (`items[].metadata`, `status.readyReplicas`)."""
    result = []
    for item in deployment_list.get("items") or ():
        metadata = item.get("metadata") or {}
        ready = (item.get("status") or {}).get("readyReplicas") or 0
        result.append(
            ControllerDeployment(metadata.get("namespace", ""), metadata.get("name", ""), int(ready))
        )
    return tuple(result)
