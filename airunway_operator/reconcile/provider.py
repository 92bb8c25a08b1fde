"""Run one provider plug-in: register its InferenceProviderConfig, apply its targets, fold their
status into the ModelDeployment, and finalize on deletion (SPEC-providers §1).

Event-driven: a pass runs on events of the ModelDeployment and of the provider's own targets,
never on a timer, and writes only what differs from the live objects.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from pydantic import ValidationError
from urllib3.exceptions import HTTPError

from airunway_operator.api import constants, modeldeployment
from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.core import drift, provider_status
from airunway_operator.core.events import Event
from airunway_operator.kube import errors, modeldeployments, objects
from airunway_operator.kube.client import call
from airunway_operator.reconcile.cache import ObjectCache, key_of
from airunway_operator.reconcile.timers import KeyedTimers
from airunway_operator.status import conditions
from airunway_operator.status.patch import merge_patch
from providers.base import Manifest, ProbeResult, Provider, RenderContext, TargetKind
from providers.common import RenderError

logger = logging.getLogger("airunway.provider")
EventSink = Callable[[Mapping[str, Any], Event], None]


class OwnershipConflictError(Exception):
    """A target with our name exists but belongs to someone else."""


class ProviderRuntime:
    def __init__(
        self,
        provider: Provider,
        api_client: client.ApiClient,
        cache: ObjectCache,
        post_event: EventSink,
        *,
        version: str,
        settings: Mapping[str, str],
        finalizer_timeout: float = 300.0,
    ) -> None:
        self.provider = provider
        self._api = api_client
        self._cache = cache
        self._post = post_event
        self._version = version
        self._settings = settings
        self._timeout = finalizer_timeout
        self._timers = KeyedTimers()
        self._last_probe: ProbeResult | None = None
        self._registered_status: dict[str, Any] = {}
        self._registered = False

    # ---------------------------------------------------------------- registration

    async def ensure_registered(self) -> bool:
        """Register once; a missing InferenceProviderConfig CRD (or a transient error) is retried on
        the next ModelDeployment event instead of failing start-up."""
        if self._registered:
            return True
        try:
            await self.register()
        except (ApiException, HTTPError, OSError) as err:
            logger.warning(
                "Provider not registered yet", extra={"provider": self.provider.name, "error": str(err)[:200]}
            )
            return False
        self._registered = True
        return True

    async def register(self, ready: bool = True) -> None:
        """Create or update our InferenceProviderConfig (spec replaced, annotations merged), then
        its status; nothing is written when the object already says what we would write."""
        body = self.provider.config(self._version)
        name = body["metadata"]["name"]
        api = client.CustomObjectsApi(self._api)
        g, v, plural = constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL
        try:
            current = await call(api.get_cluster_custom_object, g, v, plural, name)
        except ApiException as err:
            if not errors.is_not_found(err):
                raise
            current = await call(api.create_cluster_custom_object, g, v, plural, body)
        else:
            annotations = {
                **(current["metadata"].get("annotations") or {}),
                **body["metadata"].get("annotations", {}),
            }
            if current.get("spec") != body.get("spec") or annotations != current["metadata"].get(
                "annotations"
            ):
                patch = {"metadata": {"annotations": annotations}, "spec": body.get("spec")}
                current = await call(api.patch_cluster_custom_object, g, v, plural, name, patch)
        self._registered_status = dict(current.get("status") or {})
        probe = await self.probe() if ready else None
        await self._write_registration_status(ready and (probe is None or probe.healthy), probe)

    async def _write_registration_status(self, ready: bool, probe: ProbeResult | None) -> None:
        status: dict[str, Any] = {
            "ready": ready,
            "version": f"{self.provider.name}-provider:{self._version}",
            "upstreamCRDVersion": self.provider.targets[0].api_version,
        }
        previous = self._registered_status
        if probe is not None:
            status["conditions"] = conditions.set_condition(
                previous.get("conditions"),
                "UpstreamReady",
                probe.healthy,
                probe.reason,
                probe.message,
                generation=None,
                now=datetime.now(UTC),
            )
        self._last_probe = probe
        if all(previous.get(key) == value for key, value in status.items()):
            return
        status["lastHeartbeat"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        api = client.CustomObjectsApi(self._api)
        g, v, plural = constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL
        await call(
            api.patch_cluster_custom_object_status, g, v, plural, self.provider.name, {"status": status}
        )
        self._registered_status = {**previous, **status}

    async def probe(self) -> ProbeResult | None:
        """Run the provider's upstream probe (two reads), or None when it has none."""
        spec = self.provider.upstream_probe
        if spec is None:
            return None
        extensions = client.ApiextensionsV1Api(self._api)
        served: bool | str
        try:
            await call(extensions.read_custom_resource_definition, spec.crd)
            served = True
        except ApiException as err:
            served = False if errors.is_not_found(err) else f"{err.status} {err.reason}"
        deployments: Mapping[str, Any] | str | None = None
        if served is True:
            apps = client.AppsV1Api(self._api)
            try:
                listed = await call(
                    apps.list_deployment_for_all_namespaces,
                    label_selector=spec.controller_selector,
                    _preload_content=False,
                )
                deployments = json.loads(listed.data)
            except ApiException as err:
                deployments = f"{err.status} {err.reason}"
        return spec.evaluate(served, deployments)

    # ---------------------------------------------------------------- claiming

    def claims(self, body: Mapping[str, Any]) -> bool:
        status_name = ((body.get("status") or {}).get("provider") or {}).get("name")
        deleting = (body.get("metadata") or {}).get("deletionTimestamp")
        ours = self.provider.finalizer in ((body.get("metadata") or {}).get("finalizers") or ())
        return status_name == self.provider.name or bool(deleting and ours)

    def owner_key(self, target: Mapping[str, Any]) -> str | None:
        """The ModelDeployment that owns a target object, by its controller reference."""
        meta = target.get("metadata") or {}
        for ref in meta.get("ownerReferences") or ():
            if ref.get("kind") == constants.MODELDEPLOYMENT_KIND and ref.get("controller"):
                return f"{meta.get('namespace')}/{ref.get('name')}"
        return None

    async def upstream_changed(self) -> None:
        """Re-probe after an upstream controller changed; on a new verdict record it and re-run
        every object this provider serves (no 30 s requeue is needed to notice recovery)."""
        health = await self.probe()
        if health is None or health == self._last_probe:
            return
        await self._write_registration_status(health.healthy, health)
        for key, body in self._cache.items():
            if self.claims(body):
                self.schedule(key)

    def schedule(self, key: str) -> None:
        body = self._cache.get(key)
        if body is None or not self.claims(body):
            return
        self._timers.spawn(self.reconcile(body))

    # ---------------------------------------------------------------- reconcile

    async def reconcile(self, body: Mapping[str, Any]) -> None:
        key = key_of(body)
        async with self._cache.lock(key):
            body = self._cache.get(key) or body
            if not self.claims(body):
                return
            try:
                md = modeldeployment.parse(body)
            except ValidationError:
                return
            try:
                if md.metadata.deletion_timestamp is not None:
                    await self._finalize(md, body)
                elif (md.metadata.annotations or {}).get(constants.ANNOTATION_RECONCILE_PAUSED) != "true":
                    await self._sync(md, body)
            except ApiException as err:
                # Deleted meanwhile (its DELETED event cleans up), or changed under us: the
                # change's own watch event brings the next pass, so nothing is lost.
                if errors.is_not_found(err) or errors.is_conflict(err):
                    logger.debug("Reconcile superseded", extra={"object": key, "status": err.status})
                    return
                raise

    async def _sync(self, md: ModelDeployment, body: Mapping[str, Any]) -> None:
        if self.provider.finalizer not in (md.metadata.finalizers or ()):
            body = await self._set_finalizers(md, (*(md.metadata.finalizers or ()), self.provider.finalizer))
            md = modeldeployment.parse(body)
        engine = _engine(md)
        outcome = provider_status.Outcome()
        problem = self.provider.check_compatibility(md, engine) if engine else "no engine resolved yet"
        if problem is not None:
            outcome = outcome.incompatible(problem)
        else:
            outcome = outcome.compatible(self.provider.display_name)
            health = await self.probe()
            if health is not None and (self._last_probe is None or health != self._last_probe):
                await self._write_registration_status(health.healthy, health)
            if health is not None and not health.healthy:
                outcome = outcome.upstream_unhealthy(health.reason, health.message)
            else:
                outcome = await self._deploy(md, engine, outcome)
        await self._write_status(md, body, outcome)

    async def _deploy(
        self, md: ModelDeployment, engine: EngineType | None, outcome: provider_status.Outcome
    ) -> provider_status.Outcome:
        assert engine is not None
        pre = self.provider.pre_step(md, RenderContext(engine=engine, settings=self._settings))
        outcome = outcome.with_pre_step(pre)
        if pre.failure:
            return outcome.failed_pre_step(pre.failure)
        try:
            manifests = self.provider.render(md, pre.context)
        except RenderError as err:
            return outcome.render_failed(self.provider.resource_kind, str(err))
        try:
            primary = None
            for manifest in manifests:
                live = await self._apply(md, manifest)
                primary = live if primary is None else primary
        except OwnershipConflictError as err:
            return outcome.conflict(str(err))
        except ApiException as err:
            if errors.is_conflict(err):
                return outcome.unchanged()
            return outcome.create_failed(f"Failed to create/update resource: {err.reason}")
        mapped = self.provider.map_status(md, primary)
        return outcome.created(manifests[0]["metadata"]["name"], self.provider.resource_kind, mapped)

    async def _apply(self, md: ModelDeployment, manifest: Manifest) -> Manifest:
        kind = self._kind_of(manifest)
        namespace = md.metadata.namespace or ""
        name = manifest["metadata"]["name"]
        try:
            live = await objects.get(self._api, kind.api_version, kind.plural, namespace, name)
        except ApiException as err:
            if not errors.is_not_found(err):
                raise
            return await objects.create(
                self._api, kind.api_version, kind.plural, namespace, manifest, self.provider.field_manager
            )
        _check_owner(live, md)
        if self.provider.sync_patch is not None:
            patch = self.provider.sync_patch(manifest, live)
            if patch is None:
                return live
            return await objects.merge_patch(self._api, kind.api_version, kind.plural, namespace, name, patch)
        if drift.in_sync(manifest, live):
            return live
        return await objects.apply(
            self._api, kind.api_version, kind.plural, namespace, manifest, self.provider.field_manager
        )

    def _kind_of(self, manifest: Manifest) -> TargetKind:
        for kind in self.provider.targets:
            if kind.api_version == manifest["apiVersion"] and kind.kind == manifest["kind"]:
                return kind
        raise RenderError(f"provider {self.provider.name} rendered an undeclared kind {manifest['kind']}")

    async def _write_status(
        self, md: ModelDeployment, body: Mapping[str, Any], outcome: provider_status.Outcome
    ) -> None:
        observed = body.get("status") or {}
        desired = outcome.status_fields(observed, md.metadata.generation, datetime.now(UTC))
        patch = merge_patch(observed, desired)
        if patch:
            updated = await modeldeployments.patch_status(
                self._api, md.metadata.namespace or "", md.metadata.name or "", patch
            )
            self._cache.store(updated)
        for event in outcome.events:
            self._post(body, event)

    async def _set_finalizers(self, md: ModelDeployment, finalizers: Sequence[str]) -> Mapping[str, Any]:
        updated = await modeldeployments.set_finalizers(
            self._api,
            md.metadata.namespace or "",
            md.metadata.name or "",
            finalizers,
            md.metadata.resource_version or "",
        )
        return self._cache.store(updated)

    # ---------------------------------------------------------------- deletion (SPEC-providers §1.8)

    async def _finalize(self, md: ModelDeployment, body: Mapping[str, Any]) -> None:
        if self.provider.finalizer not in (md.metadata.finalizers or ()):
            return
        if (body.get("status") or {}).get("phase") != Phase.TERMINATING.value:
            with contextlib.suppress(ApiException):
                await modeldeployments.patch_status(
                    self._api,
                    md.metadata.namespace or "",
                    md.metadata.name or "",
                    {"phase": Phase.TERMINATING.value},
                )
        deleted_at = md.metadata.deletion_timestamp
        assert deleted_at is not None
        elapsed = (datetime.now(UTC) - deleted_at).total_seconds()
        gone = await self._delete_primary(md, timed_out=elapsed >= self._timeout)
        if gone or elapsed >= self._timeout:
            remaining = tuple(f for f in md.metadata.finalizers or () if f != self.provider.finalizer)
            await self._set_finalizers(md, remaining)
            self._timers.cancel(key_of(body))
            return
        self._timers.wake_at(key_of(body), self._timeout - elapsed, self.schedule)

    async def _delete_primary(self, md: ModelDeployment, *, timed_out: bool) -> bool:
        """True once the primary target is gone (or not ours); otherwise ask for its deletion."""
        kind = self.provider.targets[0]
        namespace, name = md.metadata.namespace or "", _primary_name(md, self.provider)
        try:
            live = await objects.get(self._api, kind.api_version, kind.plural, namespace, name)
        except ApiException as err:
            if errors.is_not_found(err):
                return True
            return timed_out
        if not _owned_by(live, md):
            self._post(
                live,
                Event(
                    "Warning",
                    "ResourceConflict",
                    f"{kind.kind} {name} is not owned by this ModelDeployment; left in place",
                ),
            )
            return True
        if (live.get("metadata") or {}).get("deletionTimestamp"):
            return False
        try:
            await objects.delete(self._api, kind.api_version, kind.plural, namespace, name, "Foreground")
        except ApiException as err:
            return bool(errors.is_not_found(err))
        return False


def _engine(md: ModelDeployment) -> EngineType | None:
    if md.spec.engine is not None and md.spec.engine.type is not None:
        return md.spec.engine.type
    recorded = md.status.engine if md.status is not None else None
    return recorded.type if recorded is not None else None


def _owned_by(live: Mapping[str, Any], md: ModelDeployment) -> bool:
    refs = (live.get("metadata") or {}).get("ownerReferences") or ()
    return any(ref.get("uid") == md.metadata.uid for ref in refs)


def _check_owner(live: Mapping[str, Any], md: ModelDeployment) -> None:
    if _owned_by(live, md):
        return
    refs = (live.get("metadata") or {}).get("ownerReferences") or ()
    owners = (
        ", ".join(f"{r.get('kind')}/{r.get('name')} (uid {r.get('uid')})" for r in refs)
        or "(no owner references)"
    )
    name = (live.get("metadata") or {}).get("name")
    raise OwnershipConflictError(
        f"{live.get('kind')} {name} exists but is not managed by this ModelDeployment; owners: {owners}"
    )


def _primary_name(md: ModelDeployment, provider: Provider) -> str:
    recorded = md.status.provider if md.status is not None else None
    if recorded is not None and recorded.resource_name and recorded.resource_kind == provider.resource_kind:
        return recorded.resource_name
    return md.metadata.name or ""
