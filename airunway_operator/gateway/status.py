"""`status.gateway` and the `GatewayReady` condition for one gateway pass (SPEC-core §6.10).

The gateway controller is the only writer of `GatewayReady`; this module returns the two status
keys it owns (conditions as a whole list, since a merge patch replaces lists) and the Event for a
transition. Pure: the caller passes the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from airunway_operator.api import conditions as cond
from airunway_operator.core.events import Event
from airunway_operator.status import conditions

GATEWAY_CONFIGURED: Final = "GatewayConfigured"
CRDS_NOT_AVAILABLE: Final = "CRDsNotAvailable"
NO_GATEWAY: Final = "NoGateway"
GATEWAY_PATCH_FAILED: Final = "GatewayPatchFailed"
INFERENCE_POOL_FAILED: Final = "InferencePoolFailed"
EPP_FAILED: Final = "EPPFailed"
HTTPROUTE_FAILED: Final = "HTTPRouteFailed"
GATEWAY_DISABLED: Final = "GatewayDisabled"

CONFIGURED_MESSAGE: Final = "InferencePool and HTTPRoute created"
DISABLED_MESSAGE: Final = "Gateway resources cleaned up"
CRDS_MESSAGE: Final = (
    "spec.gateway.enabled is true but the Gateway API Inference Extension CRDs (InferencePool "
    "inference.networking.k8s.io/v1, HTTPRoute gateway.networking.k8s.io/v1) are not installed"
)


@dataclass(frozen=True)
class Verdict:
    """The GatewayReady condition to set and what `status.gateway` becomes (None removes it)."""

    ready: bool
    reason: str
    message: str
    gateway: Mapping[str, Any] | None = None
    #: False keeps `status.gateway` as it is (failures do not erase the last good address).
    sets_gateway: bool = True


def configured(endpoint: str, model: str, namespace: str) -> Verdict:
    info = {"endpoint": endpoint, "modelName": model, "gatewayNamespace": namespace}
    return Verdict(True, GATEWAY_CONFIGURED, CONFIGURED_MESSAGE, info)


def refused(reason: str, message: str, endpoint: str, model: str, namespace: str) -> Verdict:
    """The Gateway did not accept the route: its own reason and message."""
    info = {"endpoint": endpoint, "modelName": model, "gatewayNamespace": namespace}
    return Verdict(False, reason, message, info)


def failed(reason: str, message: str) -> Verdict:
    return Verdict(False, reason, message, sets_gateway=False)


def disabled() -> Verdict:
    return Verdict(False, GATEWAY_DISABLED, DISABLED_MESSAGE, None)


def crds_missing() -> Verdict:
    return Verdict(False, CRDS_NOT_AVAILABLE, CRDS_MESSAGE, None)


def fields(
    observed: Mapping[str, Any], verdict: Verdict, generation: int | None, now: datetime
) -> dict[str, Any]:
    """The status keys to merge: the whole conditions list and, when it changes, `gateway`."""
    desired: dict[str, Any] = {
        "conditions": conditions.set_condition(
            observed.get("conditions"),
            cond.GATEWAY_READY,
            verdict.ready,
            verdict.reason,
            verdict.message,
            generation=generation,
            now=now,
        )
    }
    if verdict.sets_gateway:
        desired["gateway"] = dict(verdict.gateway) if verdict.gateway is not None else None
        if verdict.gateway is not None and observed.get("gateway"):
            # Drop keys we no longer set (merge patch keeps unnamed ones).
            stale = {k: None for k in observed["gateway"] if k not in verdict.gateway}
            desired["gateway"] = {**stale, **verdict.gateway}
    return desired


def transition(observed: Mapping[str, Any], verdict: Verdict) -> Event | None:
    """An Event when GatewayReady's status or reason changes."""
    before = conditions.find(observed.get("conditions"), cond.GATEWAY_READY)
    value = "True" if verdict.ready else "False"
    if before is not None and (before.get("status"), before.get("reason")) == (value, verdict.reason):
        return None
    return Event("Normal" if verdict.ready else "Warning", verdict.reason, verdict.message)


def current_reason(observed: Mapping[str, Any]) -> str | None:
    found = conditions.find(observed.get("conditions"), cond.GATEWAY_READY)
    return None if found is None else found.get("reason")


def was_ready(observed: Mapping[str, Any]) -> bool:
    found = conditions.find(observed.get("conditions"), cond.GATEWAY_READY)
    return found is not None and found.get("status") == "True"
