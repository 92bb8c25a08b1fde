"""RayService status → ModelDeployment phase, message, replicas and endpoint (§4.5).

The `RayServiceReady` condition decides first; non-empty `activeServiceStatus.applicationStatuses`
override it (any `DEPLOY_FAILED` → Failed with that application's message, all `RUNNING` →
Running, else Deploying). Applications are read in name order, so "the last failed one" is
deterministic (upstream iterates a Go map). The endpoint is always the Service KubeRay creates,
`<name>-serve-svc:8000`. Pure, and never raises on odd input. Mirrors upstream
`providers/kuberay/status.go`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.sdk import ModelDeployment, Phase
from providers.base import Manifest, Observed, ProviderStatus

SERVE_PORT: Final = 8000
SERVE_SERVICE_SUFFIX: Final = "-serve-svc"
READY_CONDITION: Final = "RayServiceReady"
RUNNING: Final = "RUNNING"
DEPLOY_FAILED: Final = "DEPLOY_FAILED"


def map_status(md: ModelDeployment, observed: Observed) -> ProviderStatus:
    """The RayService `<md>` (the only target) mapped by `map_ray_service`."""
    return map_ray_service(md, observed.get("RayService", md.metadata.name or ""))


def map_ray_service(md: ModelDeployment, service: Manifest | None) -> ProviderStatus:
    """What the RayService says about `md`; Pending with nothing else while it is absent."""
    if not isinstance(service, Mapping):
        return ProviderStatus(Phase.PENDING)
    status = _map(service.get("status"))
    phase, message = _from_condition(status.get("conditions"))
    apps = _applications(_map(status.get("activeServiceStatus")).get("applicationStatuses"))
    if apps:
        phase, app_message = _from_applications(apps)
        message = app_message or message
    all_running = bool(apps) and all(state == RUNNING for state, _ in apps)
    desired = _desired(service)
    ready = desired if all_running else 0
    name = _text(_map(service.get("metadata")).get("name")) or md.metadata.name or ""
    return ProviderStatus(
        phase,
        message,
        desired=desired,
        ready=ready,
        available=ready,
        endpoint_service=f"{name}{SERVE_SERVICE_SUFFIX}",
        endpoint_port=SERVE_PORT,
    )


def _from_condition(raw: Any) -> tuple[Phase, str]:
    """`RayServiceReady`: True → Running, False → Deploying with its message; else Pending."""
    found: Mapping[str, Any] | None = None
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, Mapping) and item.get("type") == READY_CONDITION:
            found = item  # a later duplicate wins, as in upstream's map
    if found is None:
        return Phase.PENDING, ""
    if found.get("status") == "True":
        return Phase.RUNNING, ""
    if found.get("status") == "False":
        return Phase.DEPLOYING, _text(found.get("message"))
    return Phase.PENDING, ""


def _from_applications(apps: list[tuple[str, str]]) -> tuple[Phase, str]:
    failed = [message for state, message in apps if state == DEPLOY_FAILED]
    if failed:
        return Phase.FAILED, failed[-1]
    if all(state == RUNNING for state, _ in apps):
        return Phase.RUNNING, ""
    return Phase.DEPLOYING, ""


def _applications(raw: Any) -> list[tuple[str, str]]:
    """(status, message) of every application, by application name; non-map entries skipped."""
    apps = _map(raw)
    result = []
    for name in sorted(apps, key=str):
        app = apps[name]
        if isinstance(app, Mapping):
            result.append((_text(app.get("status")), _text(app.get("message"))))
    return result


def _desired(service: Manifest) -> int:
    """Σ `replicas` of `spec.rayClusterConfig.workerGroupSpecs` (integers only)."""
    cluster = _map(_map(service.get("spec")).get("rayClusterConfig"))
    groups = cluster.get("workerGroupSpecs")
    total = 0
    for group in groups if isinstance(groups, list) else ():
        replicas = group.get("replicas") if isinstance(group, Mapping) else None
        if isinstance(replicas, int) and not isinstance(replicas, bool):
            total += replicas
    return total


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
