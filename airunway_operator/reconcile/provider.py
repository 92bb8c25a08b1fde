"""Run one provider plug-in: register its InferenceProviderConfig, apply its targets, fold their
status into the ModelDeployment, and finalize on deletion (SPEC-providers §1).

Event-driven: a pass runs on events of the ModelDeployment and of the provider's own targets and
writes only what differs from the live objects. Passes go through a work queue: one that fails
(an API error, a denied write) records what it can in `status` and is retried with backoff from
the latest cached body. Registration has a queue of its own: it is retried the same way, re-runs
when someone deletes or edits our InferenceProviderConfig, and refreshes `status.lastHeartbeat`
every `heartbeat_seconds` (0 turns the heartbeat off) as upstream's providers do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
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
from airunway_operator.core import drift, pod_diagnosis, provider_status
from airunway_operator.core.events import Event
from airunway_operator.kube import errors, modeldeployments, objects
from airunway_operator.kube.client import call
from airunway_operator.reconcile import storage
from airunway_operator.reconcile.cache import ObjectCache, key_of
from airunway_operator.reconcile.pods import PodIndex
from airunway_operator.reconcile.targets import TargetCache
from airunway_operator.reconcile.workqueue import RetryError, WorkQueue
from airunway_operator.status import conditions
from airunway_operator.status import patch as status_patch
from airunway_operator.storage import download
from providers.base import (
    Manifest,
    Observed,
    ProbeResult,
    Provider,
    RenderContext,
    TargetKind,
    UpstreamProbe,
)
from providers.common import RenderError

logger = logging.getLogger("airunway.provider")
EventSink = Callable[[Mapping[str, Any], Event], None]


class OwnershipConflictError(Exception):
    """A target with our name exists but belongs to someone else."""


class PassFailedError(RetryError):
    """A pass recorded a failure in status and must be retried (the queue backs off)."""


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
        heartbeat_seconds: float = 60.0,
        download_job_image: str = download.DEFAULT_IMAGE,
        pods: PodIndex | None = None,
        targets: TargetCache | None = None,
    ) -> None:
        self.provider = provider
        self._api = api_client
        self._cache = cache
        self._post = post_event
        self._version = version
        self._settings = settings
        self._timeout = finalizer_timeout
        self._heartbeat = heartbeat_seconds
        self._download_image = download_job_image
        self._pod_index = pods
        self._targets = targets if targets is not None else TargetCache()
        self._last_probe: ProbeResult | None = None
        self._probe_known = False
        self._registered_status: dict[str, Any] = {}
        self._registered_body: Mapping[str, Any] | None = None
        #: CRD name -> served, known from one read and then from the CRD watch's events.
        self._crds: dict[str, bool] = {}
        #: The upstream controller Deployments (probe), from one list and then the watch's events.
        self._upstream: dict[tuple[str, str], Mapping[str, Any]] | None = None
        self._registered_version = 0
        self._last_write = 0.0
        #: More status for a ModelDeployment about to be Running (the gateway's verdict when it
        #: needs no work of its own), carried by the same write.
        self.running_status: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] | None = None
        #: Creates running beside the passes (`TargetKind.create_aside`), by (ModelDeployment key,
        #: kind, name); a pass never starts a second one for the same object.
        self._aside: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        #: ModelDeployments whose last aside create failed: their next pass creates in line.
        self._aside_failed: set[str] = set()
        self.queue: WorkQueue[str] = WorkQueue(f"{provider.name}-provider", self._process)
        self.registration: WorkQueue[str] = WorkQueue(
            f"{provider.name}-registration", self._register_pass, workers=1
        )

    # ---------------------------------------------------------------- lifecycle and queue

    @property
    def finalizer(self) -> str:
        return self.provider.finalizer

    @property
    def config_name(self) -> str:
        return self.provider.name

    def start(self) -> None:
        self.registration.start()
        self.registration.add(self.config_name)
        self.queue.start()

    async def stop(self) -> None:
        for task in self._aside.values():
            task.cancel()
        await asyncio.gather(self.registration.stop(), self.queue.stop())

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def forget(self, key: str) -> None:
        self.queue.forget(key)

    async def mark_not_ready(self) -> None:
        await self.register(ready=False)

    # ---------------------------------------------------------------- registration

    def _remember(self, body: Mapping[str, Any]) -> None:
        """Keep the newest known status of our config (others write conditions to it too)."""
        try:
            version = int((body.get("metadata") or {}).get("resourceVersion") or 0)
        except (TypeError, ValueError):
            version = 0
        if version >= self._registered_version:
            self._registered_version = version
            self._registered_status = dict(body.get("status") or {})
            self._registered_body = body

    def config_changed(self, event: str, body: Mapping[str, Any] | None) -> None:
        """A watch event of our own InferenceProviderConfig: re-register when it was deleted or
        when its spec no longer says what we register (heartbeat echoes cost nothing)."""
        if event == "DELETED" or body is None:
            self._registered_version = 0
            self._registered_body = None
            self.registration.add(self.config_name)
            return
        self._remember(body)
        if body.get("spec") != self.provider.config(self._version).get("spec"):
            self.registration.add(self.config_name)

    def upstream_changed(self) -> None:
        """An upstream controller Deployment changed: re-probe through the registration queue."""
        self.registration.add(self.config_name)

    async def _register_pass(self, _: str) -> None:
        before = self._last_probe
        await self.register()
        if self._last_probe != before and before is not None:
            # A new upstream verdict: every object this provider serves shows it (no 30 s requeue).
            for key, body in self._cache.items():
                if self.claims(body):
                    self.queue.add(key)
        if self._heartbeat > 0:
            self.registration.add_after(self.config_name, self._heartbeat)

    async def register(self, ready: bool = True) -> None:
        """Create or update our InferenceProviderConfig (spec replaced, annotations merged), then
        its status; nothing is written when the object already says what we would write."""
        body = self.provider.config(self._version)
        name = body["metadata"]["name"]
        api = client.CustomObjectsApi(self._api)
        g, v, plural = constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL
        current: Mapping[str, Any]
        try:
            # The watch of our own config keeps it current: read it only when we know nothing.
            known = self._registered_body
            current = (
                known if known is not None else await call(api.get_cluster_custom_object, g, v, plural, name)
            )
        except ApiException as err:
            if not errors.is_not_found(err):
                raise
            current = await call(api.create_cluster_custom_object, g, v, plural, body)
            logger.info(f"Created InferenceProviderConfig {name}")
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
                logger.info(f"Updated InferenceProviderConfig {name}")
        self._remember(current)
        probe = await self.probe() if ready else None
        self._probe_known = ready
        if ready and self.provider.readiness_crd is not None:
            ready = await self._crd_served(self.provider.readiness_crd)
        await self._write_registration_status(ready and (probe is None or probe.healthy), probe)

    async def _crd_served(self, name: str) -> bool:
        """The "CRD presence" readiness of Dynamo and KubeRay: does the CustomResourceDefinition
        exist? Read once; the CRD watch (`crd_changed`) keeps the answer current."""
        if name in self._crds:
            return self._crds[name]
        extensions = client.ApiextensionsV1Api(self._api)
        try:
            await call(extensions.read_custom_resource_definition, name)
        except ApiException as err:
            if errors.is_not_found(err):
                self._crds.setdefault(name, False)
                return self._crds[name]
            raise
        self._crds.setdefault(name, True)
        return self._crds[name]

    async def _upstream_deployments(self, spec: UpstreamProbe) -> dict[tuple[str, str], Mapping[str, Any]]:
        if self._upstream is None:
            apps = client.AppsV1Api(self._api)
            listed = await call(
                apps.list_deployment_for_all_namespaces,
                label_selector=spec.controller_selector,
                _preload_content=False,
            )
            items = json.loads(listed.data).get("items") or ()
            self._upstream = {(i["metadata"].get("namespace") or "", i["metadata"]["name"]): i for i in items}
        return self._upstream

    def crd_changed(self, name: str, served: bool) -> None:
        """A watch event of a CRD this provider depends on: remember it, then re-register."""
        self._crds[name] = served
        self.upstream_changed()

    def upstream_deployment(self, event: str | None, body: Mapping[str, Any]) -> None:
        """A watch event of an upstream controller Deployment: keep the probe's index, re-probe."""
        if self._upstream is not None:
            meta = body.get("metadata") or {}
            where = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            if event == "DELETED":
                self._upstream.pop(where, None)
            else:
                self._upstream[where] = body
        self.upstream_changed()

    async def _write_registration_status(self, ready: bool, probe: ProbeResult | None) -> None:
        status: dict[str, Any] = {
            "ready": ready,
            "version": f"{self.provider.name}-provider:{self._version}",
            "upstreamCRDVersion": self.provider.primary.api_version,
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
        heartbeat_due = self._heartbeat > 0 and time.monotonic() - self._last_write >= self._heartbeat * 0.9
        if all(previous.get(key) == value for key, value in status.items()) and not (heartbeat_due and ready):
            return
        status["lastHeartbeat"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        patch: dict[str, Any] = {"status": status}
        if "conditions" in status and self._registered_version:
            # A merge patch replaces the whole list: never drop a condition someone else just wrote.
            patch["metadata"] = {"resourceVersion": str(self._registered_version)}
        api = client.CustomObjectsApi(self._api)
        g, v, plural = constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL
        written = await call(api.patch_cluster_custom_object_status, g, v, plural, self.provider.name, patch)
        self._remember(written)
        self._last_write = time.monotonic()

    async def probe(self) -> ProbeResult | None:
        """Run the provider's upstream probe, or None when it has none. Its two reads are made
        once; the CRD and Deployment watches keep their answers current afterwards."""
        spec = self.provider.upstream_probe
        if spec is None:
            return None
        served: bool | str
        try:
            served = await self._crd_served(spec.crd)
        except ApiException as err:
            served = f"{err.status} {err.reason}"
        deployments: Mapping[str, Any] | str | None = None
        if served is True:
            try:
                deployments = {"items": list((await self._upstream_deployments(spec)).values())}
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

    def schedule(self, key: str) -> None:
        """Queue a pass for an event of a target, pod or claim of `key`. While a pass of `key` runs
        (the core's decision continuing into ours, which makes us claim it only when it writes),
        the event is queued regardless: the pass that runs next checks the claim itself."""
        body = self._cache.get(key)
        if body is None:
            return
        if self.claims(body) or self._cache.busy(key):
            self.queue.add(key)

    # ---------------------------------------------------------------- reconcile

    async def reconcile(self, body: Mapping[str, Any]) -> None:
        """One pass over `body` (or the newer cached body of the same object), now."""
        self._cache.store(body)
        await self._process(key_of(body))

    async def _process(self, key: str) -> None:
        async with self._cache.lock(key):
            body = self._cache.get(key)
            if body is None or not self.claims(body):
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
                if errors.is_object_missing(err) and err.status == 404:
                    return  # the ModelDeployment was deleted meanwhile; its DELETED event cleans up
                if errors.is_conflict(err):
                    self.queue.add_after(key, 0.2)  # changed under us; the newer body is on its way
                    return
                raise

    async def continue_from_core(self, key: str, body: Mapping[str, Any], prior: Mapping[str, Any]) -> bool:
        """This provider's pass right after the core's decision, under the core's lock, so that one
        status write carries both (`prior` holds the core's desired status fields). True when the
        pass completed; otherwise its own queue retries it (with backoff if it keeps failing) and
        the core writes its decision itself."""
        try:
            await self._sync(modeldeployment.parse(body), body, prior)
        except Exception as err:
            logger.debug(f"Pass of {key} after the core's decision failed ({err!r}); queued")
            self.queue.add(key)
            return False
        return True

    async def report_refused_finalizer(
        self, body: Mapping[str, Any], prior: Mapping[str, Any], err: ApiException
    ) -> None:
        """Our finalizer could not be added (the core tried, for both): say why in status, with
        the core's decision (`prior`). Nothing is created without it."""
        await self._write_status(modeldeployment.parse(body), body, self._finalizer_refused(err), prior)

    def _finalizer_refused(self, err: ApiException) -> provider_status.Outcome:
        reason = f"cannot add finalizer {self.provider.finalizer}: {errors.message(err)}"
        return provider_status.Outcome().create_failed(f"Failed to create/update resource: {reason}")

    async def _sync(
        self, md: ModelDeployment, body: Mapping[str, Any], prior: Mapping[str, Any] | None = None
    ) -> None:
        if self.provider.finalizer not in (md.metadata.finalizers or ()):
            try:
                body = await self._set_finalizers(
                    md, (*(md.metadata.finalizers or ()), self.provider.finalizer)
                )
            except ApiException as err:
                if errors.is_conflict(err) or errors.is_object_missing(err):
                    raise
                # Nothing is created without our finalizer; say why in status, then retry.
                await self._write_status(md, body, self._finalizer_refused(err), prior)
                raise PassFailedError(errors.message(err)) from err
            md = modeldeployment.parse(body)
        engine = _engine(md, prior)
        outcome = provider_status.Outcome()
        problem = self.provider.check_compatibility(md, engine) if engine else "no engine resolved yet"
        if problem is not None:
            outcome = outcome.incompatible(problem)
        else:
            outcome = outcome.compatible(self.provider.display_name)
            # The registration queue probes at start, on upstream Deployment and CRD events and at
            # each heartbeat; its verdict serves every pass without reads of its own.
            if self._probe_known:
                health = self._last_probe
            else:
                health = await self.probe()
                if health is not None and (self._last_probe is None or health != self._last_probe):
                    await self._write_registration_status(health.healthy, health)
            if health is not None and not health.healthy:
                outcome = outcome.upstream_unhealthy(health.reason, health.message)
            else:
                outcome = await self._deploy(md, engine, outcome)
        await self._write_status(md, body, outcome, prior)
        if outcome.retry is not None:
            raise PassFailedError(outcome.retry)

    async def _deploy(
        self, md: ModelDeployment, engine: EngineType | None, outcome: provider_status.Outcome
    ) -> provider_status.Outcome:
        assert engine is not None
        # A pre-step may wait on the network (vLLM's registry lookup): never on the event loop.
        context = RenderContext(engine=engine, settings=self._settings)
        pre = await asyncio.to_thread(self.provider.pre_step, md, context)
        outcome = outcome.with_pre_step(pre)
        if pre.failure:
            return outcome.failed_pre_step(pre.failure)
        if self.provider.uses_storage:
            prepared = await storage.prepare(self._api, md, self._download_image)
            outcome = outcome.with_storage(*prepared.conditions)
            if prepared.stop is not None:
                if prepared.stop.requeue_after is not None:
                    key = f"{md.metadata.namespace}/{md.metadata.name}"
                    self.queue.add_after(key, prepared.stop.requeue_after)
                outcome = outcome.storage_stopped(prepared.stop.phase, prepared.stop.message)
                return outcome.retry_because(prepared.retry) if prepared.retry else outcome
        try:
            manifests = self.provider.render(md, pre.context)
        except RenderError as err:
            return outcome.render_failed(self.provider.resource_kind, str(err))
        try:
            lives = []
            for manifest in manifests:
                if not self._created_aside(md, manifest):
                    lives.append(await self._apply(md, manifest))
        except OwnershipConflictError as err:
            return outcome.conflict(str(err))
        except ApiException as err:
            if errors.is_namespace_terminating(err):
                # The namespace is being deleted: so is this ModelDeployment, whose deletion
                # event brings the finalizer pass; re-creating its targets would only be refused.
                return outcome.unchanged()
            if errors.is_conflict(err):
                # Changed under us: the newer object's watch event is on its way, so retry soon
                # from it; Dynamo also says so in ResourceCreated (SPEC-providers §1.6), phase kept.
                self.queue.add_after(key_of_md(md), 1.0 if self.provider.report_conflicts else 0.0)
                if self.provider.report_conflicts:
                    return outcome.write_conflict(
                        f"conflict writing {self.provider.resource_kind}: {errors.message(err)}"
                    )
                return outcome.unchanged()
            reason = errors.message(err)
            return outcome.create_failed(f"Failed to create/update resource: {reason}").retry_because(reason)
        except (HTTPError, OSError) as err:
            reason = f"API server unreachable ({type(err).__name__})"
            return outcome.create_failed(f"Failed to create/update resource: {reason}").retry_because(reason)
        self._aside_failed.discard(key_of_md(md))
        pods = self._pods(md)
        mapped = self.provider.map_status(md, Observed.of(*lives, pods=pods))
        name = self.provider.primary_name(manifests) or md.metadata.name or ""
        problem = pod_diagnosis.diagnose(pods)
        return outcome.created(name, self.provider.resource_kind, mapped, problem.message if problem else "")

    def _created_aside(self, md: ModelDeployment, manifest: Manifest) -> bool:
        """True when `manifest` is (being) created beside this pass: a missing object of a
        `create_aside` kind, unless the last aside create for this ModelDeployment failed."""
        kind = self._kind_of(manifest)
        key = key_of_md(md)
        name = manifest["metadata"]["name"]
        if not kind.create_aside or key in self._aside_failed:
            return False
        if self._targets.get(kind.api_version, kind.kind, md.metadata.namespace or "", name) is not None:
            return False
        slot = (key, kind.kind, name)
        if slot not in self._aside:
            task = asyncio.get_running_loop().create_task(self._create_aside(md, manifest, slot))
            self._aside[slot] = task
        return True

    async def _create_aside(
        self, md: ModelDeployment, manifest: Manifest, slot: tuple[str, str, str]
    ) -> None:
        key = slot[0]
        try:
            await self._apply(md, manifest, aside=True)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            # The next pass creates it in line, so the error reaches status (and the queue's
            # backoff) the usual way.
            logger.info(f"Creating {slot[1]} {slot[2]} for {key} failed ({err!r}); the next pass retries")
            self._aside_failed.add(key)
            self.queue.add(key)
        finally:
            self._aside.pop(slot, None)

    async def _aside_done(self, key: str) -> None:
        """Wait for the aside creates of `key` (before its targets are deleted)."""
        tasks = [task for slot, task in self._aside.items() if slot[0] == key]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _pods(self, md: ModelDeployment) -> tuple[Manifest, ...]:
        """Pods serving `md` (their diagnosis essentials), from the pod watch's index."""
        label = self.provider.pod_label
        if label is None or self._pod_index is None:
            return ()
        return self._pod_index.pods(label, md.metadata.namespace or "", md.metadata.name or "")

    async def _apply(
        self, md: ModelDeployment, manifest: Manifest, *, retry_missing: bool = True, aside: bool = False
    ) -> Manifest:
        kind = self._kind_of(manifest)
        namespace = md.metadata.namespace or ""
        name = manifest["metadata"]["name"]
        live = self._targets.get(kind.api_version, kind.kind, namespace, name)
        if live is None:
            try:
                created = await objects.create(
                    self._api,
                    kind.api_version,
                    kind.plural,
                    namespace,
                    manifest,
                    self.provider.field_manager,
                    aside=aside,
                )
            except ApiException as err:
                if not errors.is_already_exists(err):
                    raise
                # Not (yet) in the watch cache: someone else's object, or one the watch has not
                # listed. One read tells which.
                live = self._remember_target(
                    kind, await objects.get(self._api, kind.api_version, kind.plural, namespace, name)
                )
            else:
                logger.info(f"Created {kind.kind} {namespace}/{name} for ModelDeployment {md.metadata.name}")
                return self._remember_target(kind, created)
        _check_owner(live, md)
        try:
            return await self._update(md, kind, manifest, live)
        except ApiException as err:
            if not errors.is_object_missing(err) or not retry_missing:
                raise
            # Deleted before its DELETED event reached the cache: forget it and create it anew.
            self._targets.forget(kind.api_version, kind.kind, namespace, name)
            return await self._apply(md, manifest, retry_missing=False)

    def _remember_target(self, kind: TargetKind, body: Manifest) -> Manifest:
        return self._targets.store({**body, "apiVersion": kind.api_version, "kind": kind.kind})

    async def _update(
        self, md: ModelDeployment, kind: TargetKind, manifest: Manifest, live: Manifest
    ) -> Manifest:
        """Bring `live` to `manifest` with the provider's update strategy; write nothing when in sync."""
        namespace = md.metadata.namespace or ""
        name = manifest["metadata"]["name"]
        if self.provider.sync_patch is not None:
            patch = self.provider.sync_patch(manifest, live)
            if patch is None:
                return live
            updated = await objects.merge_patch(
                self._api, kind.api_version, kind.plural, namespace, name, patch
            )
        elif self.provider.sync_replace is not None:
            body = self.provider.sync_replace(manifest, live)
            if body is None:
                return live
            updated = await objects.replace(
                self._api, kind.api_version, kind.plural, namespace, body, self.provider.field_manager
            )
        elif drift.in_sync(manifest, live):
            return live
        else:
            updated = await objects.apply(
                self._api, kind.api_version, kind.plural, namespace, manifest, self.provider.field_manager
            )
        logger.info(f"Updated {kind.kind} {namespace}/{name} for ModelDeployment {md.metadata.name}")
        return self._remember_target(kind, updated)

    def _kind_of(self, manifest: Manifest) -> TargetKind:
        for kind in self.provider.targets:
            if kind.api_version == manifest["apiVersion"] and kind.kind == manifest["kind"]:
                return kind
        raise RenderError(f"provider {self.provider.name} rendered an undeclared kind {manifest['kind']}")

    async def _write_status(
        self,
        md: ModelDeployment,
        body: Mapping[str, Any],
        outcome: provider_status.Outcome,
        prior: Mapping[str, Any] | None = None,
    ) -> None:
        observed = body.get("status") or {}
        prior = prior or {}
        # The provider's fields over the core's (`prior`): one write says what two would have.
        base = status_patch.applied(observed, prior)
        desired = status_patch.combined(
            prior, outcome.status_fields(base, md.metadata.generation, datetime.now(UTC))
        )
        if self.running_status is not None:
            after = status_patch.applied(observed, desired)
            if after.get("phase") == Phase.RUNNING.value:
                extra = self.running_status({**body, "status": after})
                if extra:
                    desired = status_patch.combined(desired, extra)
        patch = status_patch.merge_patch(observed, desired)
        if patch:
            updated = await modeldeployments.patch_status(
                self._api, md.metadata.namespace or "", md.metadata.name or "", patch
            )
            self._cache.store_written(body, updated)
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
        return self._cache.store_written(self._cache.get(key_of_md(md)) or updated, updated)

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
        timed_out = elapsed >= self._timeout
        await self._aside_done(key_of(body))
        gone = await self._delete_targets(md, timed_out=timed_out)
        if gone and self.provider.uses_storage:
            # The workloads are gone: the download Jobs, then the claims they mounted (D4).
            try:
                await storage.clean_up(self._api, md)
            except ApiException:
                if not timed_out:
                    raise
        if gone or timed_out:
            remaining = tuple(f for f in md.metadata.finalizers or () if f != self.provider.finalizer)
            await self._set_finalizers(md, remaining)
            logger.info(f"Released finalizer {self.provider.finalizer} of ModelDeployment {key_of(body)}")
            return
        self.queue.add_after(key_of(body), self._timeout - elapsed)

    async def _delete_targets(self, md: ModelDeployment, *, timed_out: bool) -> bool:
        """True once no owned object of a `delete_on_finalize` kind is left (foreign-owned ones
        are left in place with a Warning); otherwise ask for their deletion."""
        namespace = md.metadata.namespace or ""
        remaining = False
        for kind in self.provider.targets:
            if not kind.delete_on_finalize:
                continue
            try:
                found = await self._finalize_candidates(md, kind)
            except ApiException as err:
                if errors.is_not_found(err) or errors.is_kind_missing(err):
                    continue  # the kind is no longer served: nothing of it can be left
                if timed_out:
                    continue
                raise
            for live in found:
                name = (live.get("metadata") or {}).get("name") or ""
                if not _owned_by(live, md):
                    self._post(
                        {**live, "kind": kind.kind, "apiVersion": kind.api_version},
                        Event(
                            "Warning",
                            "ResourceConflict",
                            f"{kind.kind} {name} is not owned by this ModelDeployment; left in place",
                        ),
                    )
                    continue
                if (live.get("metadata") or {}).get("deletionTimestamp"):
                    remaining = True
                    continue
                try:
                    await objects.delete(
                        self._api, kind.api_version, kind.plural, namespace, name, "Foreground"
                    )
                except ApiException as err:
                    if errors.is_not_found(err) or errors.is_kind_missing(err) or timed_out:
                        continue
                    raise
                logger.info(f"Deleting {kind.kind} {namespace}/{name} of ModelDeployment {md.metadata.name}")
                remaining = True
        return not remaining or timed_out

    async def _finalize_candidates(self, md: ModelDeployment, kind: TargetKind) -> list[Manifest]:
        """Objects of `kind` this ModelDeployment may own: every labelled one the target cache holds
        with its owner reference (primed at start, kept by the watch: no list per deletion, which
        would return the whole namespace), plus the recorded primary by name even without our
        label, to report a foreign owner."""
        namespace = md.metadata.namespace or ""
        found: dict[str, Manifest] = {}
        for (api_version, kind_name, where, name), body in self._targets.items():
            if (api_version, kind_name, where) == (kind.api_version, kind.kind, namespace) and _owned_by(
                body, md
            ):
                found[name] = body
        if kind == self.provider.primary:
            name = _primary_name(md, self.provider)
            if name not in found:
                try:
                    found[name] = await objects.get(self._api, kind.api_version, kind.plural, namespace, name)
                except ApiException as err:
                    if not errors.is_not_found(err):
                        raise
        return list(found.values())


def key_of_md(md: ModelDeployment) -> str:
    return f"{md.metadata.namespace}/{md.metadata.name}"


def _engine(md: ModelDeployment, prior: Mapping[str, Any] | None = None) -> EngineType | None:
    """The engine to render: the spec's, else the core's decision of this very pass (`prior`, in
    the shared pass: not yet in the body), else the one recorded in status."""
    if md.spec.engine is not None and md.spec.engine.type is not None:
        return md.spec.engine.type
    decided = ((prior or {}).get("engine") or {}).get("type")
    if decided:
        return EngineType(decided)
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
