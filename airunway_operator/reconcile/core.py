"""The core controller loop for one ModelDeployment: decision, minimal status write, finalizer, Events.

Level-triggered: every watch event of the object (and every relevant InferenceProviderConfig
change) queues its key; a pass reads the latest cached body, compares the pure decision with what
the API server already has and writes only a difference. A failed pass is retried by the work
queue with backoff, from the then-latest body. An idle cluster sees no request from this module.

Status is written before the finalizer is added, so the reason for a refused metadata write (a
webhook denying it, say) is already visible in `status`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from kubernetes import client
from kubernetes.client.rest import ApiException
from pydantic import ValidationError

from airunway_operator.api import constants, modeldeployment
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core import decide, finalizers
from airunway_operator.core.events import Event
from airunway_operator.kube import errors, modeldeployments
from airunway_operator.metrics import Metrics
from airunway_operator.reconcile.cache import ObjectCache, key_of
from airunway_operator.reconcile.workqueue import WorkQueue
from airunway_operator.status.patch import applied, merge_patch

logger = logging.getLogger("airunway.core")
EventSink = Callable[[Mapping[str, Any], Event], None]


class LocalProvider(Protocol):
    """An in-process provider that can continue the core's pass (`ProviderRuntime`)."""

    @property
    def finalizer(self) -> str: ...

    async def continue_from_core(
        self, key: str, body: Mapping[str, Any], prior: Mapping[str, Any]
    ) -> bool: ...

    async def report_refused_finalizer(
        self, body: Mapping[str, Any], prior: Mapping[str, Any], err: ApiException
    ) -> None: ...


class CoreReconciler:
    """Reconciles ModelDeployments one at a time per object; safe to call from many tasks."""

    def __init__(
        self,
        api_client: client.ApiClient,
        metrics: Metrics,
        post_event: EventSink,
        configs: Callable[[], Sequence[InferenceProviderConfig]],
        cache: ObjectCache,
        *,
        finalizer_timeout: float = 300.0,
        selector_enabled: bool = True,
    ) -> None:
        self._api = api_client
        self._metrics = metrics
        self._post = post_event
        self._configs = configs
        self._timeout = finalizer_timeout
        self._selector = selector_enabled
        self._cache = cache
        self.queue: WorkQueue[str] = WorkQueue("core", self._process, workers=32)
        self._providers: dict[str, tuple[str, Any] | None] = {}
        #: Called with the key after every successful pass (in-process providers pick it up).
        self.on_done: Callable[[str], None] | None = None
        #: The in-process provider that serves a body (with the core's decision in its status).
        self.local_provider: Callable[[Mapping[str, Any]], LocalProvider | None] = lambda _: None

    # -------------------------------------------------------------- queue

    def start(self) -> None:
        self.queue.start()

    async def stop(self) -> None:
        await self.queue.stop()

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def forget(self, key: str) -> None:
        self.queue.forget(key)
        self._metrics.forget(key)

    def affected_by(self, provider: str) -> list[str]:
        """Objects that name `provider`, have it recorded, or still wait for a selection."""
        keys = []
        for key, body in self._cache.items():
            spec_name = ((body.get("spec") or {}).get("provider") or {}).get("name")
            status_name = ((body.get("status") or {}).get("provider") or {}).get("name")
            if provider in (spec_name, status_name) or not (spec_name or status_name):
                keys.append(key)
        return keys

    def provider_changed(self, name: str, body: Mapping[str, Any] | None) -> None:
        """Re-run affected objects when a provider appears, goes, flips readiness or changes spec
        (heartbeat-only status updates are ignored, as upstream's watch predicate does)."""
        fingerprint = (
            None if body is None else (repr(body.get("spec")), (body.get("status") or {}).get("ready"))
        )
        if self._providers.get(name, ()) == fingerprint:
            return
        self._providers[name] = fingerprint
        self.schedule(self.affected_by(name))

    # -------------------------------------------------------------- reconcile

    async def reconcile(self, body: Mapping[str, Any]) -> None:
        """One pass over `body` (or the newer cached body of the same object), now."""
        key = key_of(body)
        self._cache.store(body)
        await self._process(key)

    async def _process(self, key: str) -> None:
        async with self._cache.lock(key):
            body = self._cache.get(key)
            if body is None:
                return  # deleted; its DELETED event cleaned up
            try:
                md = modeldeployment.parse(body)
            except ValidationError as err:
                logger.warning(f"Skipped unparsable ModelDeployment {key}: {err.error_count()} problem(s)")
                return
            started = time.monotonic()
            handed_off = False
            try:
                handed_off = await self._reconcile(md, body, self._configs())
            except ApiException as err:
                if errors.is_object_missing(err):
                    return  # deleted meanwhile; its DELETED event cleans up
                if errors.is_conflict(err):
                    # Changed under us: the newer body is on its way through the watch; look
                    # again shortly in case it arrived before this pass read the cache.
                    self.queue.add_after(key, 0.2)
                    return
                raise
            finally:
                provider = ((body.get("status") or {}).get("provider") or {}).get("name")
                if provider:
                    self._metrics.reconcile_duration.labels(provider).observe(time.monotonic() - started)
        if self.on_done is not None and not handed_off:
            self.on_done(key)

    async def _reconcile(
        self, md: ModelDeployment, body: Mapping[str, Any], configs: Sequence[InferenceProviderConfig]
    ) -> bool:
        """One pass; True when the in-process provider continued it (and wrote the status)."""
        if md.metadata.deletion_timestamp is not None:
            await self._finalize(md, body, configs)
            return False
        if (md.metadata.annotations or {}).get(constants.ANNOTATION_RECONCILE_PAUSED) == "true":
            return False
        observed = body.get("status") or {}
        decision = decide.decide(md, observed, configs, datetime.now(UTC), selector_enabled=self._selector)
        if decision.error_type:
            self._metrics.error(decision.provider, decision.error_type)
        local = self.local_provider({**body, "status": applied(observed, decision.status)})
        key = key_of(body)
        handed_off = False
        if local is not None:
            # One finalizer write for both controllers, then the provider continues this pass and
            # writes the status once for both; the core writes its own only if that fails.
            try:
                body = await self._ensure_finalizers(body, (finalizers.CORE, local.finalizer))
            except ApiException as err:
                if errors.is_forbidden(err) or err.status in (400, 422):
                    # Refused by policy: the status says so (the provider's words, as when it
                    # adds its finalizer alone), with the decision; retried with backoff.
                    await local.report_refused_finalizer(self._cache.get(key) or body, decision.status, err)
                    for event in decision.events:
                        self._post(body, event)
                else:
                    await self._write_decision(key, body, decision)
                raise
            handed_off = await local.continue_from_core(key, body, decision.status)
        if not handed_off:
            body = await self._write_decision(key, body, decision)
        body = self._cache.get(key) or body
        for event in decision.events:
            self._post(body, event)
        self._observe(body)
        if local is None:
            await self._ensure_finalizers(body, (finalizers.CORE,))
        return handed_off

    async def _write_decision(
        self, key: str, body: Mapping[str, Any], decision: decide.Decision
    ) -> Mapping[str, Any]:
        """Write the core's decision over the latest status (decided anew when a write since
        changed the object: a provider's fields are never overwritten with older ones)."""
        latest = self._cache.get(key) or body
        observed = latest.get("status") or {}
        if latest is not body:
            md = modeldeployment.parse(latest)
            now = datetime.now(UTC)
            decision = decide.decide(md, observed, self._configs(), now, selector_enabled=self._selector)
        namespace, name = key.split("/", 1)
        patch = merge_patch(observed, decision.status)
        if not patch:
            return latest
        updated = await modeldeployments.patch_status(self._api, namespace, name, patch)
        return self._cache.store_written(latest, updated)

    async def _ensure_finalizers(self, body: Mapping[str, Any], wanted: Sequence[str]) -> Mapping[str, Any]:
        meta = body.get("metadata") or {}
        present = tuple(meta.get("finalizers") or ())
        missing = tuple(f for f in wanted if f not in present)
        if not missing or meta.get("deletionTimestamp"):
            return body
        try:
            updated = await modeldeployments.set_finalizers(
                self._api,
                meta.get("namespace") or "",
                meta.get("name") or "",
                (*present, *missing),
                meta.get("resourceVersion") or "",
            )
        except ApiException as err:
            if errors.is_forbidden(err) or err.status in (400, 422):
                # Refused (RBAC, an admission policy or webhook): the status written shows the
                # decision; the Event says why the finalizer is missing. Retried with backoff.
                message = f"Cannot add finalizer {', '.join(missing)}: {errors.message(err)}"
                self._post(body, Event("Warning", "FinalizerRefused", message))
            raise
        return self._cache.store_written(body, updated)

    async def _finalize(
        self, md: ModelDeployment, body: Mapping[str, Any], configs: Sequence[InferenceProviderConfig]
    ) -> None:
        present = tuple(md.metadata.finalizers or ())
        deleted_at = md.metadata.deletion_timestamp
        assert deleted_at is not None
        elapsed = (datetime.now(UTC) - deleted_at).total_seconds()
        plan = finalizers.plan_release(present, configs, elapsed, self._timeout, datetime.now(UTC))
        if plan.keep == present:
            self._wake_at(key_of(body), plan.wake_after)
            return
        updated = await modeldeployments.set_finalizers(
            self._api,
            md.metadata.namespace or "",
            md.metadata.name or "",
            plan.keep,
            md.metadata.resource_version or "",
        )
        self._cache.store(updated)
        released = sorted(set(present) - set(plan.keep))
        logger.info(f"Released finalizers {', '.join(released)} of ModelDeployment {key_of(body)}")
        for event in plan.events:
            self._post(body, event)
        self._wake_at(key_of(body), plan.wake_after)

    def _wake_at(self, key: str, delay: float | None) -> None:
        """Re-run the deletion logic once a finalizer timeout expires (a timer, not polling)."""
        if delay is not None:
            self.queue.add_after(key, delay)

    def schedule(self, keys: Sequence[str]) -> None:
        """Reconcile these objects soon (used when a provider config changes)."""
        for key in keys:
            self.queue.add(key)

    def observe(self, body: Mapping[str, Any]) -> None:
        """Refresh the metrics of an object no pass runs for (the echo of our own write)."""
        self._observe(body)

    def _observe(self, body: Mapping[str, Any]) -> None:
        status = body.get("status") or {}
        provider = status.get("provider") or {}
        replicas = status.get("replicas") or {}
        created = (body.get("metadata") or {}).get("creationTimestamp")
        self._metrics.observe(
            key_of(body),
            provider=provider.get("name") or "",
            selected_reason=provider.get("selectedReason") or "",
            phase=status.get("phase") or "",
            replicas=(
                replicas.get("desired") or 0,
                replicas.get("ready") or 0,
                replicas.get("available") or 0,
            ),
            created=_epoch(created),
        )


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None
