"""Watches of the gateway integration: the CRDs that turn it on and off, the routing objects it
owns, and Gateways. Each event only queues ModelDeployments for the gateway controller.

Registered at start-up only when the core runs with the integration on. kopf starts the watches
of InferencePools, HTTPRoutes and Gateways once their CRDs are served, also later at run time.
"""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.context import OperatorContext
from airunway_operator.gateway import detection, render


def register() -> None:
    kopf.on.event(
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        when=lambda name, **_: name in detection.WATCHED,
        id="gateway-crds",
    )(gateway_crd_event)
    for kind in (render.POOL, render.ROUTE):
        kopf.on.event(kind.api_version, kind.plural, id=f"gateway-{kind.plural}")(gateway_owned_event)
    kopf.on.event(render.GATEWAY.api_version, render.GATEWAY.plural, id="gateway-gateways")(gateway_event)


async def gateway_crd_event(type: str, name: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    if ctx.gateway is not None:
        ctx.gateway.crd_changed(name, None if type == "DELETED" else dict(body))


async def gateway_owned_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    if ctx.gateway is not None:
        ctx.gateway.owned_changed(body)


async def gateway_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    if ctx.gateway is not None:
        ctx.gateway.gateway_event(type, body)
