"""The upstream health decision for KAITO (§2.2): is the real KAITO workspace controller running?

Pure: the runtime performs the two cluster reads (is group-kind `kaito.sh/Workspace` served; list
Deployments in all namespaces with `CONTROLLER_SELECTOR`) and hands the answers here. Mirrors
upstream `providers/kaito/upstream_health.go`, messages included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from airunway_operator.api import conditions
from providers.base import ConditionUpdate

WORKSPACE_GROUP: Final = "kaito.sh"
WORKSPACE_KIND: Final = "Workspace"
UPSTREAM_CRD_VERSION: Final = "kaito.sh/v1beta1"
"""`status.upstreamCRDVersion` of the KAITO InferenceProviderConfig."""

CONTROLLER_LABEL: Final = "app.kubernetes.io/name"
CONTROLLER_LABEL_VALUES: Final = ("workspace", "ai-toolchain-operator")
"""The Helm chart's controller, and the one the AKS AI toolchain operator add-on installs."""
CONTROLLER_SELECTOR: Final = f"{CONTROLLER_LABEL} in ({','.join(CONTROLLER_LABEL_VALUES)})"
"""Label selector for the cluster-wide Deployment list of step 2."""

UPSTREAM_READY: Final = "UpstreamReady"
"""Condition type on the InferenceProviderConfig."""

UPSTREAM_HEALTHY: Final = "UpstreamHealthy"
CRD_MISSING: Final = "CRDMissing"
CONTROLLER_MISSING: Final = "UpstreamControllerMissing"
CONTROLLER_NOT_READY: Final = "UpstreamControllerNotReady"
PROBE_FAILED: Final = "ProbeFailed"
UNREGISTERED: Final = "Unregistered"

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


SHUTTING_DOWN: Final = UpstreamHealth(False, UNREGISTERED, "Shim is shutting down.")
"""Written to the IPC on clean shutdown (with `ready=false`)."""


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


def _status(healthy: bool) -> Literal["True", "False"]:
    return "True" if healthy else "False"


def upstream_ready_condition(health: UpstreamHealth) -> ConditionUpdate:
    """`UpstreamReady` on the InferenceProviderConfig; `status.ready` is `health.healthy`."""
    return ConditionUpdate(UPSTREAM_READY, _status(health.healthy), health.reason, health.message)


def ready_condition(health: UpstreamHealth) -> ConditionUpdate:
    """`Ready=False` with the probe's reason on a ModelDeployment while upstream is unhealthy
    (the pass then keeps the phase, emits a Warning event with the same reason, skips rendering
    and requeues after 30 s)."""
    return ConditionUpdate(conditions.READY, "False", health.reason, health.message)
