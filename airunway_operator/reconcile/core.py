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
from typing import Any

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
from airunway_operator.status.patch import merge_patch

logger = logging.getLogger("airunway.core")
EventSink = Callable[[Mapping[str, Any], Event], None]


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
        self.queue: WorkQueue[str] = WorkQueue("core", self._process)
        self._providers: dict[str, tuple[str, Any] | None] = {}
        #: Called with the key after every successful pass (in-process providers pick it up).
        self.on_done: Callable[[str], None] | None = None

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
            try:
                await self._reconcile(md, body, self._configs())
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
        if self.on_done is not None:
            self.on_done(key)

    async def _reconcile(
        self, md: ModelDeployment, body: Mapping[str, Any], configs: Sequence[InferenceProviderConfig]
    ) -> None:
        if md.metadata.deletion_timestamp is not None:
            await self._finalize(md, body, configs)
            return
        if (md.metadata.annotations or {}).get(constants.ANNOTATION_RECONCILE_PAUSED) == "true":
            return
        observed = body.get("status") or {}
        decision = decide.decide(md, observed, configs, datetime.now(UTC), selector_enabled=self._selector)
        patch = merge_patch(observed, decision.status)
        if patch:
            updated = await modeldeployments.patch_status(
                self._api, md.metadata.namespace or "", md.metadata.name or "", patch
            )
            body = self._cache.store(updated)
        for event in decision.events:
            self._post(body, event)
        if decision.error_type:
            self._metrics.error(decision.provider, decision.error_type)
        self._observe(body)
        await self._ensure_finalizer(modeldeployment.parse(body), body)

    async def _ensure_finalizer(self, md: ModelDeployment, body: Mapping[str, Any]) -> Mapping[str, Any]:
        present = tuple(md.metadata.finalizers or ())
        if finalizers.CORE in present or md.metadata.deletion_timestamp is not None:
            return body
        try:
            updated = await modeldeployments.set_finalizers(
                self._api,
                md.metadata.namespace or "",
                md.metadata.name or "",
                (*present, finalizers.CORE),
                md.metadata.resource_version or "",
            )
        except ApiException as err:
            if errors.is_forbidden(err) or err.status in (400, 422):
                # Refused (RBAC, an admission policy or webhook): the status written above shows
                # the decision; the Event says why the finalizer is missing. Retried with backoff.
                message = f"Cannot add finalizer {finalizers.CORE}: {errors.message(err)}"
                self._post(body, Event("Warning", "FinalizerRefused", message))
            raise
        return self._cache.store(updated)

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
