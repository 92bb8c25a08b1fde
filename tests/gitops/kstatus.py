"""kstatus's generic status rules (sigs.k8s.io/cli-utils/pkg/kstatus/status, checkGenericProperties), as
Flux, kpt and `kubectl wait`-style tools apply them to a custom resource whose kind they do not know.

Order, as in kstatus: deletion, then observedGeneration (checked only when present), then the
Reconciling and Stalled conditions. Upstream kstatus stops there and calls the rest Current; this
module also applies the stricter Ready rule (a Ready condition that is False is InProgress), which
tools that read the Ready condition add, so a status passes only if it satisfies both readings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

CURRENT: Final = "Current"
IN_PROGRESS: Final = "InProgress"
FAILED: Final = "Failed"
TERMINATING: Final = "Terminating"


def _condition(status: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") == type_:
            return dict(condition)
    return None


def _is(condition: Mapping[str, Any] | None, value: str) -> bool:
    return condition is not None and condition.get("status") == value


def compute(body: Mapping[str, Any]) -> tuple[str, str]:
    """The kstatus verdict and its reason for one object."""
    metadata = body.get("metadata") or {}
    status = body.get("status") or {}
    if metadata.get("deletionTimestamp"):
        return TERMINATING, "Resource scheduled for deletion"
    observed = status.get("observedGeneration")
    if observed is not None and observed != metadata.get("generation"):
        return IN_PROGRESS, "LatestGenerationNotObserved"
    if _is(_condition(status, "Reconciling"), "True"):
        return IN_PROGRESS, "Reconciling"
    if _is(_condition(status, "Stalled"), "True"):
        return FAILED, "Stalled"
    if _is(_condition(status, "Ready"), "False"):
        return IN_PROGRESS, "Ready condition is False"
    return CURRENT, "Resource is current"
