"""InferenceProviderConfigs as the runtimes view: readiness, version, heartbeat age, capabilities and
the installation details their annotations carry (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from airunway_operator.api import constants


def annotation_json(annotations: dict[str, str], key: str) -> Any:
    try:
        return json.loads(annotations.get(key) or "null")
    except ValueError:
        return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def capabilities(ipc: dict[str, Any]) -> dict[str, Any]:
    engines = ((ipc.get("spec") or {}).get("capabilities") or {}).get("engines") or []
    modes = sorted({m for e in engines for m in e.get("servingModes") or []})
    return {
        "engines": [e.get("name") for e in engines if e.get("name")],
        "servingModes": modes,
        "gpu": any(e.get("gpuSupport") for e in engines),
        "cpu": any(e.get("cpuSupport") for e in engines),
    }


def installed(status: dict[str, Any]) -> bool:
    """The upstream controller's probe verdict when the provider has one, else its readiness."""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "UpstreamReady":
            return bool(cond.get("status") == "True")
    return bool(status.get("ready"))


def runtime(ipc: dict[str, Any], now: datetime) -> dict[str, Any]:
    meta = ipc.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    status = ipc.get("status") or {}
    heartbeat = _parse_time(status.get("lastHeartbeat"))
    installation = annotation_json(annotations, constants.ANNOTATION_INSTALLATION)
    return {
        "name": meta.get("name"),
        "displayName": annotations.get(constants.ANNOTATION_DISPLAY_NAME) or meta.get("name"),
        "description": annotations.get(constants.ANNOTATION_DESCRIPTION) or "",
        "documentationUrl": annotations.get(constants.ANNOTATION_DOCUMENTATION_URL)
        or annotations.get(constants.ANNOTATION_DOCUMENTATION),
        "defaultNamespace": annotations.get(constants.ANNOTATION_DEFAULT_NAMESPACE),
        "ready": bool(status.get("ready")),
        "version": status.get("version"),
        "lastHeartbeat": status.get("lastHeartbeat"),
        "heartbeatAgeSeconds": max(round((now - heartbeat).total_seconds()), 0) if heartbeat else None,
        "capabilities": capabilities(ipc),
        "installation": installation if isinstance(installation, dict) else {},
        "installed": installed(status),
        "conditions": [
            {k: c.get(k) for k in ("type", "status", "reason", "message", "lastTransitionTime")}
            for c in status.get("conditions") or []
        ],
    }


def runtimes(ipcs: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    return sorted((runtime(i, now) for i in ipcs), key=lambda r: str(r["name"]))
