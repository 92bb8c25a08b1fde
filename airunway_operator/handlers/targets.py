"""Watches of the objects providers render; an event re-runs the owning ModelDeployment's provider.

Set up at start for the kinds of the enabled providers only, filtered to objects carrying our
managed-by label (PersistentVolumeClaims excepted: a pre-existing claim a ModelDeployment mounts
carries none). Labelled objects feed the target cache (`reconcile/targets.py`) that provider
passes read instead of the API server. Pods carrying a provider's `pod_label` feed the pod index
(`reconcile/pods.py`); a pass runs only when a pod's diagnosis changed.

Built-in kinds (Pods, Deployments, Services, Jobs, claims) are watched by our own lean watches
(`kube/listwatch.py`, selected by the API server); kinds from CRDs stay with kopf, which waits
for their CRDs to be served.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import kopf

from airunway_operator.context import OperatorContext
from airunway_operator.kube.listwatch import ListWatch
from airunway_operator.storage import claims
from airunway_operator.storage.verdict import CLAIM, JOB
from providers.base import Provider
from providers.common import MANAGED_BY

#: Built-in kinds, always served: watched by `ListWatch` rather than kopf.
BUILT_IN: frozenset[tuple[str, str]] = frozenset(
    {
        ("v1", "pods"),
        ("v1", "services"),
        ("v1", "persistentvolumeclaims"),
        ("apps/v1", "deployments"),
        ("batch/v1", "jobs"),
    }
)
OURS = f"{MANAGED_BY}=airunway"


def register(providers: tuple[Provider, ...]) -> None:
    """kopf handlers for the target kinds that come from CRDs (see `lean_watches` for the rest)."""
    kinds = {(k.api_version, k.plural) for p in providers for k in p.targets} - BUILT_IN
    for api_version, plural in sorted(kinds):
        kopf.on.event(api_version, plural, labels={MANAGED_BY: "airunway"}, id=f"target-{plural}")(
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


def lean_watches(ctx: OperatorContext, api_client: Any) -> list[ListWatch]:
    """The watches of built-in kinds for the enabled providers, one per namespace watched."""
    providers = ctx.enabled_providers
    specs: list[tuple[str, str, str, str, Any]] = []
    kinds = {(k.api_version, k.kind, k.plural) for p in providers for k in p.targets}
    for api_version, kind, plural in sorted(kinds):
        if (api_version, plural) in BUILT_IN:
            specs.append((api_version, kind, plural, OURS, partial(_target_changed, ctx)))
    for label in sorted({p.pod_label for p in providers if p.pod_label}):
        # Pods carrying a provider's pod label: status that says why pods do not serve, without
        # polling. One watch per label key (selectors cannot say "any of these keys").
        specs.append(("v1", "Pod", "pods", label, _pods(ctx, label)))
    if any(p.uses_storage for p in providers):
        # A claim binding or the download Job finishing re-runs the ModelDeployment at once (the
        # storage pipeline's requeue timers are only a safety net). Every claim is watched, not
        # just ours: a pre-existing claim carries no label, and its binding matters as much.
        specs.append((CLAIM.api_version, CLAIM.kind, CLAIM.plural, "", partial(_claim_changed, ctx)))
        specs.append((JOB.api_version, JOB.kind, JOB.plural, OURS, partial(_target_changed, ctx)))
    for provider in providers:
        probe = provider.upstream_probe
        if probe is not None:
            # An upstream controller coming or going changes the provider's readiness: re-probe then.
            specs.append(
                (
                    "apps/v1",
                    "Deployment",
                    "deployments",
                    probe.controller_selector,
                    partial(_upstream_changed, ctx),
                )
            )
    return [
        ListWatch(
            api_client, api_version, kind, plural, deliver, label_selector=selector, namespace=namespace
        )
        for api_version, kind, plural, selector, deliver in specs
        for namespace in ctx.namespaces or (None,)
    ]


def _pods(ctx: OperatorContext, label: str) -> Any:
    def deliver(type: str, body: dict[str, Any]) -> None:
        labels = (body.get("metadata") or {}).get("labels") or {}
        # DELETED from a selected watch is also a pod leaving the selection (its label removed):
        # then the pod is re-indexed from the labels it still has.
        _pod_changed(ctx, body, deleted=type == "DELETED" and label in labels)

    return deliver


def _watched_crds(provider: Provider) -> tuple[str, ...]:
    probe = provider.upstream_probe
    return tuple(n for n in (provider.readiness_crd, probe.crd if probe else None) if n)


async def target_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    _target_changed(memo.context, type, body)


def _target_changed(ctx: OperatorContext, type: str | None, body: Any) -> None:
    if type == "DELETED":
        ctx.targets.deleted(body)
    else:
        ctx.targets.store(body)
    for runtime in ctx.runtimes:
        key = runtime.owner_key(body)
        if key is not None:
            runtime.schedule(key)


def _pod_changed(ctx: OperatorContext, body: Any, *, deleted: bool) -> None:
    for label, namespace, owner in ctx.pods.observe(body, deleted=deleted):
        for runtime in ctx.runtimes:
            if runtime.provider.pod_label == label:
                runtime.schedule(f"{namespace}/{owner}")


def _claim_changed(ctx: OperatorContext, type: str | None, body: Any) -> None:
    """A claim changed: re-run its owner (a managed claim), else every storage-mounting
    ModelDeployment whose volumes name it (a pre-existing claim)."""
    meta = body.get("metadata") or {}
    if (meta.get("labels") or {}).get(MANAGED_BY) == "airunway":
        _target_changed(ctx, type, body)
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


def _upstream_changed(ctx: OperatorContext, type: str | None, body: Any) -> None:
    for runtime in ctx.runtimes:
        probe = runtime.provider.upstream_probe
        labels = (body.get("metadata") or {}).get("labels") or {}
        if probe is not None and labels.get(probe.controller_label) in probe.controller_values:
            runtime.upstream_deployment(type, body)
