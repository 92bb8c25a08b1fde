"""Workspace status → ModelDeployment phase, message, replicas and endpoint (§2.6).

`status.state` (KAITO 0.9.0+) decides the phase when present, else the conditions do. Pure, and
never raises on odd input. Mirrors upstream `providers/kaito/status.go`; on Failed the message
falls back as upstream's unused `GetErrorMessage` does (decision D14).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from airunway_operator.sdk import ModelDeployment, Phase
from providers.base import Manifest, Observed, ProviderStatus

SERVICE_PORT: Final = 80
"""KAITO serves every Workspace through a Service named after it, on port 80 (llama.cpp too)."""

WORKSPACE_SUCCEEDED: Final = "WorkspaceSucceeded"
RESOURCE_READY: Final = "ResourceReady"
INFERENCE_READY: Final = "InferenceReady"
FAILED_FALLBACK: Final = "deployment failed"

_STATES: Final[Mapping[str, tuple[Phase, str]]] = {
    "Ready": (Phase.RUNNING, ""),
    "Succeeded": (Phase.RUNNING, ""),
    "NotReady": (Phase.DEPLOYING, ""),
    "Running": (Phase.DEPLOYING, "fine-tuning in progress"),
    "Failed": (Phase.FAILED, ""),
    "Pending": (Phase.PENDING, ""),
}
_READY_STATES: Final = frozenset({"Ready", "Succeeded"})


@dataclass(frozen=True)
class _Condition:
    status: str
    message: str


def map_status(md: ModelDeployment, observed: Observed) -> ProviderStatus:
    """The Workspace `<md>` (the only target) mapped by `map_workspace`."""
    return map_workspace(md, observed.get("Workspace", md.metadata.name or ""))


def map_workspace(md: ModelDeployment, workspace: Manifest | None) -> ProviderStatus:
    """What the Workspace says about `md`; Pending while it is absent or reports nothing."""
    if not isinstance(workspace, Mapping):
        return ProviderStatus(Phase.PENDING)
    status = _map(workspace.get("status"))
    state = _text(status.get("state"))
    raw_conditions = [c for c in _list(status.get("conditions")) if isinstance(c, Mapping)]
    conditions = _by_type(raw_conditions)
    if state:
        phase, message = _STATES.get(state, (Phase.PENDING, f"unknown state: {state}"))
    elif conditions:
        phase, message = _from_conditions(conditions)
    else:
        return ProviderStatus(Phase.PENDING)
    if phase is Phase.FAILED and not message:
        message = error_message(raw_conditions)
    desired = _count(workspace)
    succeeded = conditions.get(WORKSPACE_SUCCEEDED)
    ready = desired if state in _READY_STATES or (succeeded and succeeded.status == "True") else 0
    name = _text(_map(workspace.get("metadata")).get("name")) or md.metadata.name
    return ProviderStatus(
        phase,
        message,
        desired=desired,
        ready=ready,
        available=ready,
        endpoint_service=name,
        endpoint_port=SERVICE_PORT,
    )


def _from_conditions(conditions: Mapping[str, _Condition]) -> tuple[Phase, str]:
    succeeded = conditions.get(WORKSPACE_SUCCEEDED)
    if succeeded is not None and succeeded.status == "True":
        return Phase.RUNNING, ""
    if succeeded is not None and succeeded.status == "False":
        return Phase.FAILED, succeeded.message
    resource_ready = conditions.get(RESOURCE_READY)
    inference_ready = conditions.get(INFERENCE_READY)
    resources_up = resource_ready is not None and resource_ready.status == "True"
    if resources_up and (inference_ready is None or inference_ready.status != "True"):
        return Phase.DEPLOYING, ""
    return Phase.PENDING, ""


def error_message(conditions: list[Mapping[str, Any]]) -> str:
    """`WorkspaceSucceeded=False`'s message, else the first False condition's, else a fallback."""
    for wanted in (WORKSPACE_SUCCEEDED, None):
        for condition in conditions:
            if wanted is not None and condition.get("type") != wanted:
                continue
            message = condition.get("message")
            if condition.get("status") == "False" and isinstance(message, str) and message:
                return message
    return FAILED_FALLBACK


def _by_type(conditions: list[Mapping[str, Any]]) -> dict[str, _Condition]:
    """Conditions by type; a later duplicate wins, as in upstream's map."""
    result = {}
    for condition in conditions:
        kind = condition.get("type")
        if isinstance(kind, str) and kind:
            result[kind] = _Condition(_text(condition.get("status")), _text(condition.get("message")))
    return result


def _count(workspace: Manifest) -> int:
    count = _map(workspace.get("resource")).get("count")
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
