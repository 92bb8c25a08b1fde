"""The routing objects of one ModelDeployment: InferencePool, HTTPRoute, ReferenceGrant,
DestinationRule, and the list of what clean-up deletes (SPEC-core §6.4, §6.6-§6.8, §6.13).

Every object carries the ModelDeployment as controller owner (the ReferenceGrant the provider's
pool) and `app.kubernetes.io/managed-by: airunway`. Output is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from airunway_operator.api import constants
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.gateway.capabilities import PoolLocation
from airunway_operator.gateway.gateways import GatewayRef

Manifest: TypeAlias = dict[str, Any]

POOL_API: Final = "inference.networking.k8s.io/v1"
POOL_GROUP: Final = "inference.networking.k8s.io"
ROUTE_API: Final = "gateway.networking.k8s.io/v1"
GATEWAY_GROUP: Final = "gateway.networking.k8s.io"
GRANT_API: Final = "gateway.networking.k8s.io/v1beta1"
RULE_API: Final = "networking.istio.io/v1beta1"
MODEL_HEADER: Final = "X-Gateway-Model-Name"
REQUEST_TIMEOUT: Final = "300s"


@dataclass(frozen=True)
class Kind:
    api_version: str
    plural: str
    kind: str


POOL: Final = Kind(POOL_API, "inferencepools", "InferencePool")
ROUTE: Final = Kind(ROUTE_API, "httproutes", "HTTPRoute")
GATEWAY: Final = Kind(ROUTE_API, "gateways", "Gateway")
GRANT: Final = Kind(GRANT_API, "referencegrants", "ReferenceGrant")
RULE: Final = Kind(RULE_API, "destinationrules", "DestinationRule")
SERVICE_ACCOUNT: Final = Kind("v1", "serviceaccounts", "ServiceAccount")
ROLE: Final = Kind("rbac.authorization.k8s.io/v1", "roles", "Role")
ROLE_BINDING: Final = Kind("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding")
CONFIG_MAP: Final = Kind("v1", "configmaps", "ConfigMap")
DEPLOYMENT: Final = Kind("apps/v1", "deployments", "Deployment")
SERVICE: Final = Kind("v1", "services", "Service")

KINDS: Final = (
    POOL,
    ROUTE,
    GRANT,
    RULE,
    SERVICE_ACCOUNT,
    ROLE,
    ROLE_BINDING,
    CONFIG_MAP,
    DEPLOYMENT,
    SERVICE,
)


def kind_of(manifest: Mapping[str, Any]) -> Kind:
    for kind in KINDS:
        if kind.api_version == manifest.get("apiVersion") and kind.kind == manifest.get("kind"):
            return kind
    raise ValueError(f"not a gateway kind: {manifest.get('apiVersion')} {manifest.get('kind')}")


def owner_reference(md: ModelDeployment) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.MODELDEPLOYMENT_KIND,
        "name": md.metadata.name or "",
        "uid": md.metadata.uid or "",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def metadata(md: ModelDeployment, name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": md.metadata.namespace or "",
        "labels": {constants.LABEL_APP_MANAGED_BY: constants.MANAGED_BY_VALUE, **(labels or {})},
        "ownerReferences": [owner_reference(md)],
    }


def epp_name(md: ModelDeployment) -> str:
    return f"{md.metadata.name}-epp"


def render_pool(md: ModelDeployment, target_port: int, epp_port: int) -> Manifest:
    """The controller-managed InferencePool `<md>` selecting the model pods (§6.4)."""
    return {
        "apiVersion": POOL.api_version,
        "kind": POOL.kind,
        "metadata": metadata(md, md.metadata.name or ""),
        "spec": {
            "selector": {"matchLabels": {constants.LABEL_MODEL_DEPLOYMENT: md.metadata.name or ""}},
            "targetPorts": [{"number": target_port}],
            "endpointPickerRef": {"name": epp_name(md), "port": {"number": epp_port}},
        },
    }


def render_route(md: ModelDeployment, gateway: GatewayRef, pool: PoolLocation, model: str) -> Manifest:
    """The HTTPRoute `<md>`: requests for `model` on the Gateway go to the pool (§6.8)."""
    match = {
        "path": {"type": "PathPrefix", "value": "/"},
        "headers": [{"type": "Exact", "name": MODEL_HEADER, "value": model}],
    }
    backend = {"group": POOL_GROUP, "kind": POOL.kind, "name": pool.name, "namespace": pool.namespace}
    return {
        "apiVersion": ROUTE.api_version,
        "kind": ROUTE.kind,
        "metadata": metadata(md, md.metadata.name or ""),
        "spec": {
            "parentRefs": [{"name": gateway.name, "namespace": gateway.namespace}],
            "rules": [
                {"matches": [match], "backendRefs": [backend], "timeouts": {"request": REQUEST_TIMEOUT}}
            ],
        },
    }


def render_reference_grant(md: ModelDeployment, pool: Mapping[str, Any]) -> Manifest:
    """Lets the route in the MD's namespace reference a provider pool in another namespace (§6.7)."""
    meta = pool.get("metadata") or {}
    name = meta.get("name") or ""
    owner = {
        "apiVersion": POOL.api_version,
        "kind": POOL.kind,
        "name": name,
        "uid": meta.get("uid") or "",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    return {
        "apiVersion": GRANT.api_version,
        "kind": GRANT.kind,
        "metadata": {
            "name": f"{name}-referencegrant",
            "namespace": meta.get("namespace") or "",
            "labels": {constants.LABEL_APP_MANAGED_BY: constants.MANAGED_BY_VALUE},
            "ownerReferences": [owner],
        },
        "spec": {
            "from": [{"group": GATEWAY_GROUP, "kind": ROUTE.kind, "namespace": md.metadata.namespace or ""}],
            "to": [{"group": POOL_GROUP, "kind": POOL.kind, "name": name}],
        },
    }


def render_destination_rule(md: ModelDeployment, service: str, namespace: str) -> Manifest:
    """Istio: TLS towards the Endpoint Picker without verifying its self-signed certificate (§6.6)."""
    meta = metadata(md, service)
    meta["namespace"] = namespace
    return {
        "apiVersion": RULE.api_version,
        "kind": RULE.kind,
        "metadata": meta,
        "spec": {
            "host": f"{service}.{namespace}.svc.cluster.local",
            "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}},
        },
    }


@dataclass(frozen=True)
class Target:
    """One object clean-up deletes when the ModelDeployment owns it."""

    kind: Kind
    namespace: str
    name: str


def cleanup_targets(md: ModelDeployment, *, manages_pool: bool, istio: bool) -> tuple[Target, ...]:
    """What the controller may have created for `md` (§6.13); ReferenceGrants and provider-side
    DestinationRules are left alone."""
    namespace, name = md.metadata.namespace or "", md.metadata.name or ""
    found: list[Target] = []
    if not manages_pool:
        found.append(Target(POOL, namespace, name))
    if not (md.spec.gateway and md.spec.gateway.http_route_ref):
        found.append(Target(ROUTE, namespace, name))
    if not manages_pool:
        epp = epp_name(md)
        kinds = [DEPLOYMENT, SERVICE, CONFIG_MAP, ROLE_BINDING, ROLE, SERVICE_ACCOUNT]
        found += [Target(kind, namespace, epp) for kind in kinds]
        if istio:
            found.append(Target(RULE, namespace, epp))
    return tuple(found)
