"""ModelDeployments, their pods and Events as the API's JSON views (pure: dicts in, dicts out)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def summary(md: dict[str, Any]) -> dict[str, Any]:
    """The list view of one ModelDeployment; engine and provider are the resolved ones once set."""
    spec = md.get("spec") or {}
    status = md.get("status") or {}
    replicas = status.get("replicas") or {}
    endpoint = status.get("endpoint") or {}
    desired = replicas.get("desired")
    if desired is None:
        desired = _get(spec, "scaling", "replicas")
    return {
        "name": _get(md, "metadata", "name"),
        "namespace": _get(md, "metadata", "namespace"),
        "modelId": _get(spec, "model", "id"),
        "engine": _get(status, "engine", "type") or _get(spec, "engine", "type"),
        "provider": _get(status, "provider", "name") or _get(spec, "provider", "name"),
        "mode": _get(spec, "serving", "mode") or "aggregated",
        "phase": status.get("phase") or "Pending",
        "replicas": {
            "desired": desired if desired is not None else 1,
            "ready": replicas.get("ready") or 0,
            "available": replicas.get("available") or 0,
        },
        "endpoint": (
            {"service": endpoint.get("service"), "port": endpoint.get("port")}
            if endpoint.get("service")
            else None
        ),
        "message": status.get("message") or "",
        "createdAt": _get(md, "metadata", "creationTimestamp"),
        "conditions": [
            {
                "type": c.get("type"),
                "status": c.get("status"),
                "reason": c.get("reason"),
                "message": c.get("message") or "",
                "lastTransitionTime": c.get("lastTransitionTime"),
            }
            for c in status.get("conditions") or []
        ],
    }


def _waiting_or_terminated(statuses: Iterable[dict[str, Any]]) -> tuple[str | None, str | None]:
    for cs in statuses:
        state = cs.get("state") or {}
        for kind in ("waiting", "terminated"):
            detail = state.get(kind)
            if detail and detail.get("reason") not in (None, "Completed"):
                return detail.get("reason"), detail.get("message")
    return None, None


def pod_view(pod: dict[str, Any]) -> dict[str, Any]:
    """A pod's phase, readiness, restarts and, when it is not healthy, why."""
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    ready = bool(containers) and all(cs.get("ready") for cs in containers)
    reason, message = _waiting_or_terminated([*(status.get("initContainerStatuses") or []), *containers])
    if reason is None and not ready:
        for cond in status.get("conditions") or []:
            if cond.get("status") == "False" and cond.get("reason"):
                reason, message = cond.get("reason"), cond.get("message")
                break
    return {
        "name": _get(pod, "metadata", "name"),
        "phase": status.get("phase") or "Unknown",
        "ready": ready,
        "restarts": sum(int(cs.get("restartCount") or 0) for cs in containers),
        "node": _get(pod, "spec", "nodeName"),
        "reason": reason or status.get("reason"),
        "message": message or status.get("message"),
    }


def event_view(event: dict[str, Any]) -> dict[str, Any]:
    involved = event.get("involvedObject") or {}
    return {
        "type": event.get("type"),
        "reason": event.get("reason"),
        "message": event.get("message") or "",
        "count": event.get("count") or 1,
        "lastTimestamp": event.get("lastTimestamp")
        or event.get("eventTime")
        or _get(event, "metadata", "creationTimestamp"),
        "object": f"{involved.get('kind')}/{involved.get('name')}",
    }


def related_events(
    events: Iterable[dict[str, Any]], md_name: str, pod_names: Iterable[str]
) -> list[dict[str, Any]]:
    """Events about the ModelDeployment or one of its pods, newest first."""
    pods = set(pod_names)
    kept = []
    for event in events:
        involved = event.get("involvedObject") or {}
        kind, name = involved.get("kind"), involved.get("name")
        if (kind == "ModelDeployment" and name == md_name) or (kind == "Pod" and name in pods):
            kept.append(event_view(event))
    kept.sort(key=lambda e: str(e["lastTimestamp"] or ""), reverse=True)
    return kept


#: Pod labels whose value names the ModelDeployment a pod serves, across the providers: the
#: Deployment selector of Direct vLLM and llm-d, the KubeRay and storage label, KAITO's Workspace,
#: and the graph name the Dynamo operator puts on its pods (our DynamoGraphDeployment's name).
POD_OWNER_LABELS = (
    "airunway.ai/deployment",
    "airunway.ai/model-deployment",
    "kaito.sh/workspace",
    "nvidia.com/dynamo-graph-deployment-name",
)


def owned_pods(pods: Iterable[dict[str, Any]], md_name: str) -> list[dict[str, Any]]:
    """The pods labelled as serving the ModelDeployment `md_name`, by name."""
    kept = [
        p
        for p in pods
        if any((_get(p, "metadata", "labels") or {}).get(key) == md_name for key in POD_OWNER_LABELS)
    ]
    return sorted(kept, key=lambda p: str(_get(p, "metadata", "name")))


def detail(md: dict[str, Any], pods: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The details view: the summary, the raw spec, the pods and the related Events."""
    views = [pod_view(p) for p in pods]
    return {
        **summary(md),
        "spec": md.get("spec") or {},
        "pods": views,
        "events": related_events(events, str(_get(md, "metadata", "name")), [str(v["name"]) for v in views]),
    }
