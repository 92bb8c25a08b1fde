"""Which Gateway a route attaches to, what it reports, and the `allowedRoutes` it needs.

Choice (SPEC-core §6.2): the configured name and namespace, else the only Gateway, else the one
labelled `airunway.ai/inference-gateway=true` (the first in list order when several are).
Cross-namespace routes (§6.11): the listeners' namespace selector lists every namespace with a
route, plus the Gateway's own; when none is left the listeners go back to `from: Same`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from airunway_operator.api import constants

NAME_LABEL: Final = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class GatewayRef:
    name: str
    namespace: str
    #: Namespace of the body-based-router Deployment.
    bbr_namespace: str
    #: Set when the Gateway came from settings: it is used without reading it first.
    configured: bool = False


class NoGatewayError(Exception):
    """No Gateway can be chosen; the message says why (GatewayReady=False/NoGateway)."""


def _ref(gateway: Mapping[str, Any]) -> GatewayRef:
    meta = gateway.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    bbr = (meta.get("annotations") or {}).get(constants.ANNOTATION_BBR_NAMESPACE) or namespace
    return GatewayRef(meta.get("name") or "", namespace, bbr)


def configured(name: str, namespace: str) -> GatewayRef | None:
    if name and namespace:
        return GatewayRef(name, namespace, namespace, configured=True)
    return None


def choose(gateways: Sequence[Mapping[str, Any]]) -> tuple[GatewayRef, bool]:
    """The Gateway to use among all listed ones, and whether the choice was ambiguous (several
    labelled ones: the caller logs it). Raises NoGatewayError."""
    if not gateways:
        raise NoGatewayError("no Gateway resources found in cluster")
    if len(gateways) == 1:
        return _ref(gateways[0]), False
    labelled = [
        g
        for g in gateways
        if ((g.get("metadata") or {}).get("labels") or {}).get(constants.LABEL_INFERENCE_GATEWAY) == "true"
    ]
    if not labelled:
        raise NoGatewayError(
            f"multiple Gateways found but none labeled {constants.LABEL_INFERENCE_GATEWAY}=true; "
            "label the one to use or set AIRUNWAY_GATEWAY_NAME and AIRUNWAY_GATEWAY_NAMESPACE"
        )
    return _ref(labelled[0]), len(labelled) > 1


def endpoint(gateway: Mapping[str, Any] | None) -> str:
    """The first non-empty address the Gateway reports, without scheme; "" when none."""
    for address in ((gateway or {}).get("status") or {}).get("addresses") or ():
        value = address.get("value")
        if value:
            return str(value)
    return ""


# ------------------------------------------------------------------ allowedRoutes (§6.11)


def _selector_values(selector: Mapping[str, Any]) -> set[str]:
    found = set()
    legacy = (selector.get("matchLabels") or {}).get(NAME_LABEL)
    if legacy:
        found.add(legacy)
    for expression in selector.get("matchExpressions") or ():
        if expression.get("key") == NAME_LABEL and expression.get("operator") == "In":
            found.update(expression.get("values") or ())
    return found


def cross_namespaces(gateway: Mapping[str, Any]) -> frozenset[str]:
    """Namespaces other than the Gateway's own that the first selector-bearing listener admits."""
    own = (gateway.get("metadata") or {}).get("namespace")
    for listener in (gateway.get("spec") or {}).get("listeners") or ():
        selector = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("selector")
        if selector is not None:
            return frozenset(_selector_values(selector) - {own})
    return frozenset()


def listeners_admitting(gateway: Mapping[str, Any], namespaces: Iterable[str]) -> list[dict[str, Any]]:
    """The Gateway's listeners rewritten to admit exactly `namespaces` besides its own."""
    own = (gateway.get("metadata") or {}).get("namespace") or ""
    cross = sorted(set(namespaces) - {own})
    listeners = copy.deepcopy(list((gateway.get("spec") or {}).get("listeners") or ()))
    for listener in listeners:
        if not cross:
            if "allowedRoutes" in listener:
                listener["allowedRoutes"]["namespaces"] = {"from": "Same"}
            continue
        allowed = listener.setdefault("allowedRoutes", {})
        allowed["namespaces"] = {
            "from": "Selector",
            "selector": {
                "matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": sorted({*cross, own})}]
            },
        }
    return listeners


def admit(gateway: Mapping[str, Any], namespace: str) -> list[dict[str, Any]] | None:
    """New listeners admitting `namespace`, or None when nothing needs to change."""
    current = cross_namespaces(gateway)
    if namespace in current:
        return None
    return listeners_admitting(gateway, current | {namespace})


def release(gateway: Mapping[str, Any], namespace: str) -> list[dict[str, Any]] | None:
    """New listeners no longer admitting `namespace`, or None when nothing needs to change."""
    current = cross_namespaces(gateway)
    if namespace not in current:
        return None
    return listeners_admitting(gateway, current - {namespace})


# ------------------------------------------------------------------ route acceptance


@dataclass(frozen=True)
class Refusal:
    """A parent Gateway's verdict against a route: its own condition reason and message."""

    reason: str
    message: str


def route_refusal(route: Mapping[str, Any] | None, gateway: GatewayRef) -> Refusal | None:
    """The Gateway's reason when it reports our route not Accepted (or its refs not resolved)."""
    for parent in ((route or {}).get("status") or {}).get("parents") or ():
        ref = parent.get("parentRef") or {}
        route_ns = ((route or {}).get("metadata") or {}).get("namespace")
        if ref.get("name") != gateway.name or (ref.get("namespace") or route_ns) != gateway.namespace:
            continue
        for wanted in ("Accepted", "ResolvedRefs"):
            for condition in parent.get("conditions") or ():
                if condition.get("type") == wanted and condition.get("status") == "False":
                    reason = condition.get("reason") or wanted
                    return Refusal(reason, condition.get("message") or f"HTTPRoute not {wanted}")
    return None
