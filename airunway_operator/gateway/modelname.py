"""The model name the HTTPRoute matches on (SPEC-core §6.9), and the model server's port.

Priority: `spec.gateway.modelName`; `spec.model.servedName` unless the provider's engine ignores
served names; the name the server itself reports at `/v1/models` (discovered by the caller);
`spec.model.id`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import GatewayCapabilities

DEFAULT_PORT: Final = 8000
#: Upper bound of a /v1/models answer that is read.
MAX_BODY: Final = 1 << 20


def configured(md: ModelDeployment, caps: GatewayCapabilities | None) -> str | None:
    """The name from the spec alone (steps 1-2), or None when discovery should be tried."""
    gateway = md.spec.gateway
    if gateway is not None and gateway.model_name:
        return gateway.model_name
    ignores = caps is not None and bool(caps.ignores_served_name)
    if md.spec.model.served_name and not ignores:
        return md.spec.model.served_name
    return None


def resolve(md: ModelDeployment, caps: GatewayCapabilities | None, discovered: str | None) -> str:
    return configured(md, caps) or discovered or md.spec.model.id or md.metadata.name or ""


def _preferred_port(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    ports = (service.get("spec") or {}).get("ports") or ()
    for port in ports:
        if port.get("name") == "http" or port.get("port") in (80, 8080):
            return port  # type: ignore[no-any-return]
    return ports[0] if ports else None


def service_port(service: Mapping[str, Any] | None, status_port: int | None) -> int:
    """The Service port clients call (discovery): preferred port, else status port, else 8000."""
    port = _preferred_port(service) if service else None
    if port is not None and port.get("port"):
        return int(port["port"])
    return status_port if status_port and status_port > 0 else DEFAULT_PORT


def target_port(service: Mapping[str, Any] | None, status_port: int | None) -> int:
    """The container port behind the Service (InferencePool targetPorts, §6.4): a numeric
    targetPort of the preferred port, else its port number; without a Service the status port,
    else 8000."""
    port = _preferred_port(service) if service else None
    if port is not None:
        target = port.get("targetPort")
        if isinstance(target, int) and target > 0:
            return target
        if port.get("port"):
            return int(port["port"])
    return status_port if status_port and status_port > 0 else DEFAULT_PORT


def parse_models(payload: bytes) -> str | None:
    """`data[0].id` of an OpenAI `/v1/models` answer, or None."""
    try:
        document = json.loads(payload[:MAX_BODY])
    except ValueError:
        return None
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        found = data[0].get("id")
        return found if isinstance(found, str) and found else None
    return None
