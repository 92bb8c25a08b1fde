"""DynamoGraphDeployment status → ModelDeployment phase, message, replicas and endpoint (§3.7).

`status.state` decides the phase; replicas are summed over `status.services` (top-level counts
win when present). On `failed` the message falls back as upstream's unused `GetErrorMessage` does
(D14). Without `status.endpoint` the endpoint is `<md>-frontend:8000`, except in gateway mode,
where no Frontend exists and the endpoint is cleared (D8). Pure, and never raises on odd input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.sdk import ModelDeployment, Phase
from providers.base import Manifest, Observed, ProviderStatus
from providers.dynamo import compatibility

FRONTEND_PORT: Final = 8000
FAILED_FALLBACK: Final = "deployment failed"

_STATES: Final[Mapping[str, Phase]] = {
    "successful": Phase.RUNNING,
    "initializing": Phase.DEPLOYING,
    "deploying": Phase.DEPLOYING,
    "failed": Phase.FAILED,
    "pending": Phase.PENDING,
}


def map_status(md: ModelDeployment, observed: Observed) -> ProviderStatus:
    """The DynamoGraphDeployment `<md>` mapped by `map_graph`."""
    return map_graph(md, observed.get("DynamoGraphDeployment", md.metadata.name or ""))


def map_graph(md: ModelDeployment, graph: Manifest | None) -> ProviderStatus:
    """What the graph says about `md`: Pending with nothing else while it is absent or has no status."""
    if not isinstance(graph, Mapping) or not isinstance(graph.get("status"), Mapping):
        return ProviderStatus(Phase.PENDING)
    status: Mapping[str, Any] = graph["status"]
    phase = _STATES.get(_text(status.get("state")), Phase.PENDING)
    message = _text(status.get("message"))
    if phase is Phase.FAILED and not message:
        message = error_message(status)
    desired, ready, available = _replicas(status)
    service, port = _endpoint(md, status)
    return ProviderStatus(
        phase,
        message,
        desired=desired,
        ready=ready,
        available=available,
        endpoint_service=service,
        endpoint_port=port,
    )


def error_message(status: Mapping[str, Any]) -> str:
    """`status.message`, else `status.error`, else the first False condition's message, else a fallback."""
    for key in ("message", "error"):
        if text := _text(status.get(key)):
            return text
    for condition in _list(status.get("conditions")):
        text = _text(condition.get("message")) if isinstance(condition, Mapping) else ""
        if text and condition.get("status") == "False":
            return text
    return FAILED_FALLBACK


def _replicas(status: Mapping[str, Any]) -> tuple[int, int, int]:
    desired = ready = available = 0
    services = status.get("services")
    for service in services.values() if isinstance(services, Mapping) else ():
        if not isinstance(service, Mapping):
            continue
        desired += _count(service.get("replicas")) or 0
        ready_here, available_here = (
            _count(service.get("readyReplicas")),
            _count(service.get("availableReplicas")),
        )
        # PodCliqueScalingGroup workers report only availableReplicas (and vice versa).
        ready += _first(ready_here, available_here)
        available += _first(available_here, ready_here)
    return (
        _first(_count(status.get("desiredReplicas")), desired),
        _first(_count(status.get("readyReplicas")), ready),
        _first(_count(status.get("availableReplicas")), available),
    )


def _endpoint(md: ModelDeployment, status: Mapping[str, Any]) -> tuple[str | None, int | None]:
    endpoint = status.get("endpoint")
    if isinstance(endpoint, Mapping) and _text(endpoint.get("service")):
        return _text(endpoint.get("service")), _count(endpoint.get("port"))
    if compatibility.is_gateway_enabled(md):
        return None, None
    return f"{md.metadata.name or ''}-frontend", FRONTEND_PORT


def _first(value: int | None, fallback: int | None) -> int:
    return value if value is not None else fallback or 0


def _count(value: Any) -> int | None:
    """An integer count (bool excluded), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
