"""Watches of the objects providers render; an event re-runs the owning ModelDeployment's provider.

Registered at start-up for the kinds of the enabled providers only (kopf needs handlers before it
runs), filtered to objects carrying our managed-by label (PersistentVolumeClaims excepted: a
pre-existing claim a ModelDeployment mounts carries none). Labelled objects feed the target cache
(`reconcile/targets.py`) that provider passes read instead of the API server. Pods carrying a
provider's `pod_label` feed the pod index (`reconcile/pods.py`); a pass runs only when a pod's
diagnosis changed.
"""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.context import OperatorContext
from airunway_operator.storage import claims
from airunway_operator.storage.verdict import CLAIM, JOB
from providers.base import Provider
from providers.common import MANAGED_BY


def register(providers: tuple[Provider, ...]) -> None:
    kinds = {(k.api_version, k.plural) for p in providers for k in p.targets}
    for api_version, plural in sorted(kinds):
        kopf.on.event(api_version, plural, labels={MANAGED_BY: "airunway"}, id=f"target-{plural}")(
            target_event
        )
    if any(p.pod_label for p in providers):
        # Pods carrying a provider's pod label (or indexed already, to see one lose it): status that
        # says why pods do not serve, without polling.
        kopf.on.event("v1", "pods", when=_pod_is_relevant, id="provider-pods")(pod_event)
    if any(p.uses_storage for p in providers):
        # A claim binding or the download Job finishing re-runs the ModelDeployment at once (the
        # storage pipeline's requeue timers are only a safety net). Every claim is watched, not
        # just ours: a pre-existing claim carries no label, and its binding matters as much.
        kopf.on.event(CLAIM.api_version, CLAIM.plural, id="storage-claims")(claim_event)
        kopf.on.event(JOB.api_version, JOB.plural, labels={MANAGED_BY: "airunway"}, id="storage-jobs")(
            target_event
        )
    crds = frozenset(name for p in providers for name in _watched_crds(p))
    if crds:
        # A provider's CRD (its readiness CRD, or the one its upstream probe checks) installed or
        # removed changes its readiness at once (no restart, no polling).
        kopf.on.event(
            "apiextensions.k8s.io/v1",
            "customresourcedefinitions",
            when=lambda name, **_: name in crds,
            id="provider-crds",
        )(crd_event)
    for provider in providers:
        probe = provider.upstream_probe
        if probe is None:
            continue
        # An upstream controller coming or going changes the provider's readiness: re-probe then.
        labels = {probe.controller_label: _one_of(frozenset(probe.controller_values))}
        kopf.on.event("apps/v1", "deployments", labels=labels, id=f"upstream-{provider.name}")(upstream_event)


def _watched_crds(provider: Provider) -> tuple[str, ...]:
    probe = provider.upstream_probe
    return tuple(n for n in (provider.readiness_crd, probe.crd if probe else None) if n)


def _one_of(values: frozenset[str]) -> Any:
    def matches(value: str | None, **_: Any) -> bool:
        return value in values

    return matches


async def target_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    if type == "DELETED":
        ctx.targets.deleted(body)
    else:
        ctx.targets.store(body)
    for runtime in ctx.runtimes:
        key = runtime.owner_key(body)
        if key is not None:
            runtime.schedule(key)


def _pod_is_relevant(body: kopf.Body, memo: kopf.Memo, **_: Any) -> bool:
    ctx: OperatorContext = memo.context
    return ctx.pods.is_relevant(body)


async def pod_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    for label, namespace, owner in ctx.pods.observe(body, deleted=type == "DELETED"):
        for runtime in ctx.runtimes:
            if runtime.provider.pod_label == label:
                runtime.schedule(f"{namespace}/{owner}")


async def claim_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A claim changed: re-run its owner (a managed claim), else every storage-mounting
    ModelDeployment whose volumes name it (a pre-existing claim)."""
    ctx: OperatorContext = memo.context
    meta = body.get("metadata") or {}
    if (meta.get("labels") or {}).get(MANAGED_BY) == "airunway":
        await target_event(type, body, memo)
        return
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    for key, deployment in ctx.cache.items():
        if claims.references(deployment, namespace, name):
            for runtime in ctx.runtimes:
                if runtime.provider.uses_storage:
                    runtime.schedule(key)


async def crd_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    name = (body.get("metadata") or {}).get("name") or ""
    for runtime in ctx.runtimes:
        if name in _watched_crds(runtime.provider):
            runtime.crd_changed(name, type != "DELETED")


async def upstream_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    for runtime in ctx.runtimes:
        probe = runtime.provider.upstream_probe
        labels = (body.get("metadata") or {}).get("labels") or {}
        if probe is not None and labels.get(probe.controller_label) in probe.controller_values:
            runtime.upstream_deployment(type, body)
