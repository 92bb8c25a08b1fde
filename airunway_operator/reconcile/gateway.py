"""The gateway controller: routing objects, `status.gateway` and `GatewayReady` for every
ModelDeployment (SPEC-core §6), event-driven through its own work queue.

A pass reads the newest cached ModelDeployment under the object's shared lock (so it never
interleaves with the core or a provider), decides with the pure `airunway_operator.gateway`
package, writes only what differs, and patches only `status.gateway` and the `GatewayReady`
condition. Detection follows the CustomResourceDefinitions: installing or removing the Gateway API
or the Inference Extension turns the integration on or off without a restart. A pass that records
a failure is retried with backoff; a provider-managed pool that does not exist yet is waited for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from pydantic import ValidationError

from airunway_operator.api import constants, modeldeployment
from airunway_operator.api.constants import Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import GatewayCapabilities, InferenceProviderConfig
from airunway_operator.core.events import Event
from airunway_operator.gateway import capabilities, detection, epp, gateways, modelname, plan, render
from airunway_operator.gateway import status as gw_status
from airunway_operator.gateway.detection import Detection
from airunway_operator.gateway.gateways import GatewayRef, NoGatewayError
from airunway_operator.gateway.plan import Action
from airunway_operator.kube import errors, modeldeployments
from airunway_operator.kube import gateways as kube
from airunway_operator.metrics import Metrics
from airunway_operator.reconcile import gateway_io
from airunway_operator.reconcile.cache import ObjectCache
from airunway_operator.reconcile.gateway_io import GatewayIO, GatewayOptions
from airunway_operator.reconcile.workqueue import RetryError, WorkQueue
from airunway_operator.status.patch import merge_patch

__all__ = ["GatewayController", "GatewayOptions"]

logger = logging.getLogger("airunway.gateway")
EventSink = Callable[[Mapping[str, Any], Event], None]


class _StepFailedError(Exception):
    """A step failed with a GatewayReady reason; the pass records it and retries."""

    def __init__(self, reason: str, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        #: False when only an event can fix it (a Gateway created or labelled): no backoff retry.
        self.retry = retry


class GatewayController:
    def __init__(
        self,
        api_client: client.ApiClient,
        cache: ObjectCache,
        configs: Callable[[], Sequence[InferenceProviderConfig]],
        post_event: EventSink,
        options: GatewayOptions,
        metrics: Metrics | None = None,
    ) -> None:
        self._api = api_client
        self._cache = cache
        self._configs = configs
        self._post = post_event
        self._options = options
        self._io = GatewayIO(api_client, cache, options)
        self._metrics = metrics
        self.detection = Detection()
        self._provider_specs: dict[str, str | None] = {}
        self.queue: WorkQueue[str] = WorkQueue("gateway", self._process)
        self.namespaces: WorkQueue[str] = WorkQueue("gateway-namespaces", self._release_namespace, workers=1)
        self.detector: WorkQueue[str] = WorkQueue("gateway-detection", self._detect, workers=1)

    # ---------------------------------------------------------------- queue and events

    def start(self) -> None:
        self.queue.start()
        self.namespaces.start()
        self.detector.start()
        self.detector.add("crds")

    async def stop(self) -> None:
        for queue in (self.detector, self.namespaces, self.queue):
            await queue.stop()

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def enqueue_all(self) -> None:
        for key, _ in self._cache.items():
            self.queue.add(key)

    def deleted(self, key: str) -> None:
        """The ModelDeployment is gone: its namespace may no longer need the Gateway (§6.11 b)."""
        self.queue.forget(key)
        if self.detection.available and self._options.patch_allowed_routes:
            self.namespaces.add(key.split("/", 1)[0])

    def crd_changed(self, name: str, body: Mapping[str, Any] | None) -> None:
        """A watched CRD was created, changed or deleted: update detection, re-run on a change."""
        if name not in detection.WATCHED:
            return
        before = self.detection
        self.detection = before.with_crd(name, body is not None and detection.is_served(body))
        # The first verdict counts as a change too: passes skipped while it was unknown re-run.
        if not before.known or (before.available, before.istio) != (
            self.detection.available,
            self.detection.istio,
        ):
            logger.info(
                "Gateway API Inference Extension %s",
                "detected" if self.detection.available else "not available",
                extra={"crd": name},
            )
            if self.detection.available:
                self.detector.add("crds")  # primes the Gateway index
            else:
                self._io.gateways.reset()
            self.enqueue_all()

    def owned_changed(self, body: Mapping[str, Any]) -> None:
        """An InferencePool or HTTPRoute changed: re-run the ModelDeployment owning it. A pool owned
        by something else may be a provider's that a ModelDeployment waits for; a route owned by
        something else may be a user's route that a ModelDeployment names."""
        meta = body.get("metadata") or {}
        owners = [
            ref.get("name")
            for ref in meta.get("ownerReferences") or ()
            if ref.get("kind") == constants.MODELDEPLOYMENT_KIND and ref.get("controller")
        ]
        namespace = meta.get("namespace")
        for name in owners:
            self.queue.add(f"{namespace}/{name}")
        if owners:
            return
        if body.get("kind") == render.POOL.kind:
            self.gateway_changed()
            return
        # A user's route named by spec.gateway.httpRouteRef: its verdict is reported too.
        for key, md in self._cache.items():
            reference = ((md.get("spec") or {}).get("gateway") or {}).get("httpRouteRef")
            if key.startswith(f"{namespace}/") and reference == meta.get("name"):
                self.queue.add(key)

    def provider_changed(self, name: str, body: Mapping[str, Any] | None) -> None:
        """A provider's gateway capabilities may have changed (picker image, managed pool): re-run
        its ModelDeployments. Heartbeats change only status and cost nothing."""
        spec = None if body is None else repr(body.get("spec"))
        if self._provider_specs.get(name, "") == spec:
            return
        self._provider_specs[name] = spec
        for key, md in self._cache.items():
            recorded = ((md.get("status") or {}).get("provider") or {}).get("name")
            named = ((md.get("spec") or {}).get("provider") or {}).get("name")
            if name in (recorded, named):
                self.queue.add(key)

    def gateway_event(self, event: str | None, body: Mapping[str, Any]) -> None:
        """A Gateway watch event: keep the index current, then re-run routed ModelDeployments."""
        if event == "DELETED":
            self._io.gateways.deleted(body)
        else:
            self._io.gateways.store(body)
        self.gateway_changed()

    def gateway_changed(self) -> None:
        """A Gateway changed (address, listeners, labels): every routed ModelDeployment may care."""
        for key, body in self._cache.items():
            if (body.get("status") or {}).get("phase") == Phase.RUNNING.value:
                self.queue.add(key)

    async def _detect(self, _: str) -> None:
        """The initial state, read once from the CRDs themselves; watch events keep it current.
        Once the integration is on, one list of Gateways primes the Gateway index."""
        if not self.detection.known:
            found = set()
            for name in sorted(detection.WATCHED):
                crd = await kube.read_crd(self._api, name)
                if crd is not None and detection.is_served(crd):
                    found.add(name)
            if not self.detection.known:  # else the watch was first
                self.detection = Detection(frozenset(found))
                logger.info(
                    "Gateway API Inference Extension %s",
                    "detected" if self.detection.available else "not available",
                )
                self.enqueue_all()
        if self.detection.available and not self._io.gateways.primed:
            await self._io.prime_gateways()

    # ---------------------------------------------------------------- one pass

    async def _process(self, key: str) -> None:
        if not self.detection.known:
            return  # every object is queued again once detection is known
        async with self._cache.lock(key):
            body = self._cache.get(key)
            if body is None:
                return
            try:
                md = modeldeployment.parse(body)
            except ValidationError:
                return
            try:
                await self._reconcile(md, body)
            except gateway_io.GoneError:
                return
            except ApiException as err:
                if errors.is_conflict(err):
                    self.queue.add_after(key, 0.2)
                    return
                self._count_error(md)
                raise

    async def _reconcile(self, md: ModelDeployment, body: Mapping[str, Any]) -> None:
        action = plan.decide(md, body.get("status") or {}, available=self.detection.available)
        if action is Action.CLEAN_UP_DELETED:
            await self._cleanup(md, body, persist=False)
        elif action is Action.REPORT_CRDS_MISSING:
            await self._write(md, body, gw_status.crds_missing())
        elif action is Action.DISABLE:
            body = await self._cleanup(md, body, persist=True)
            await self._write(md, body, gw_status.disabled())
        elif action is Action.CONFIGURE:
            await self._configure_and_report(md, body)

    async def _configure_and_report(self, md: ModelDeployment, body: Mapping[str, Any]) -> None:
        try:
            verdict, body = await self._configure(md, body)
        except _StepFailedError as failure:
            cause = failure.__cause__
            if isinstance(cause, ApiException) and errors.is_namespace_terminating(cause):
                return  # the ModelDeployment goes with its namespace; nothing to route or report
            self._count_error(md)
            await self._write(md, body, gw_status.failed(failure.reason, failure.message))
            if failure.retry:
                raise RetryError(f"{failure.reason}: {failure.message}") from failure
            return
        await self._write(md, body, verdict)

    # ---------------------------------------------------------------- configure (§6.3)

    async def _configure(
        self, md: ModelDeployment, body: Mapping[str, Any]
    ) -> tuple[gw_status.Verdict, Mapping[str, Any]]:
        try:
            gateway, gateway_body = await self._io.gateway()
        except NoGatewayError as err:
            raise _StepFailedError(gw_status.NO_GATEWAY, str(err), retry=False) from err
        except ApiException as err:
            raise _StepFailedError(
                gw_status.NO_GATEWAY, f"cannot list Gateways: {errors.message(err)}"
            ) from err
        caps = capabilities.resolve(md, self._configs())
        namespace = md.metadata.namespace or ""
        service = await self._io.model_service(md)
        await self._io.label_pods(md, service)
        if self._options.patch_allowed_routes and namespace != gateway.namespace:
            try:
                gateway_body = await self._io.admit(gateway, namespace) or gateway_body
            except ApiException as err:
                raise _StepFailedError(
                    gw_status.GATEWAY_PATCH_FAILED,
                    f"cannot allow routes from namespace {namespace} on Gateway "
                    f"{gateway.namespace}/{gateway.name}: {errors.message(err)}",
                ) from err
        pool = capabilities.pool_location(md, caps)
        if capabilities.manages_pool(caps):
            body = await self._provider_pool(md, body, gateway, pool)
        else:
            await self._controller_pool(md, gateway, service, caps)
        model = modelname.configured(md, caps) or modelname.resolve(
            md, caps, await self._io.discover(md, service)
        )
        route, body = await self._route(md, body, gateway, pool, model)
        endpoint = gateways.endpoint(gateway_body)
        refusal = gateways.route_refusal(route, gateway)
        if refusal is not None:
            return gw_status.refused(
                refusal.reason, refusal.message, endpoint, model, gateway.namespace
            ), body
        return gw_status.configured(endpoint, model, gateway.namespace), body

    async def _controller_pool(
        self,
        md: ModelDeployment,
        gateway: GatewayRef,
        service: Mapping[str, Any] | None,
        caps: GatewayCapabilities | None,
    ) -> None:
        port = modelname.target_port(service, gateway_io.status_port(md))
        try:
            _, created = await self._io.ensure(md, render.render_pool(md, port, self._options.epp_port))
        except (ApiException, gateway_io.ForeignObjectError) as err:
            raise _StepFailedError(gw_status.INFERENCE_POOL_FAILED, _describe("InferencePool", err)) from err
        if created:
            await self._io.restart_bbr(gateway)
        manifests = epp.render_stack(md, caps, image=self._options.epp_image, port=self._options.epp_port)
        if self.detection.istio:
            manifests.append(
                render.render_destination_rule(md, render.epp_name(md), md.metadata.namespace or "")
            )
        for manifest in manifests:
            try:
                await self._io.ensure(md, manifest)
            except (ApiException, gateway_io.ForeignObjectError) as err:
                raise _StepFailedError(gw_status.EPP_FAILED, _describe(manifest["kind"], err)) from err

    async def _provider_pool(
        self,
        md: ModelDeployment,
        body: Mapping[str, Any],
        gateway: GatewayRef,
        pool: capabilities.PoolLocation,
    ) -> Mapping[str, Any]:
        live = await kube.get_or_none(
            self._api, render.POOL.api_version, render.POOL.plural, pool.namespace, pool.name
        )
        if live is None:
            # The provider creates it; its watch event brings us back (no status change meanwhile).
            raise RetryError(f"waiting for the provider's InferencePool {pool.namespace}/{pool.name}")
        restarted = (md.metadata.annotations or {}).get(constants.ANNOTATION_BBR_RESTARTED) == "true"
        if not restarted and await self._io.restart_bbr(gateway):
            body = await self._io.annotate(md, constants.ANNOTATION_BBR_RESTARTED, "true")
        if pool.namespace != md.metadata.namespace and self.detection.reference_grants:
            try:
                await self._io.ensure(
                    md, render.render_reference_grant(md, live), owner_uid=live["metadata"].get("uid")
                )
            except (ApiException, gateway_io.ForeignObjectError) as err:
                logger.warning(
                    f"ReferenceGrant for InferencePool {pool.namespace}/{pool.name} not written: {err}"
                )
        picker = ((live.get("spec") or {}).get("endpointPickerRef") or {}).get("name")
        if self.detection.istio and picker and pool.namespace == md.metadata.namespace:
            try:
                await self._io.ensure(md, render.render_destination_rule(md, picker, pool.namespace))
            except (ApiException, gateway_io.ForeignObjectError) as err:
                logger.warning(
                    f"Cannot write the DestinationRule for {picker}: {_describe('DestinationRule', err)}"
                )
        return body

    async def _route(
        self,
        md: ModelDeployment,
        body: Mapping[str, Any],
        gateway: GatewayRef,
        pool: capabilities.PoolLocation,
        model: str,
    ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        namespace = md.metadata.namespace or ""
        reference = md.spec.gateway.http_route_ref if md.spec.gateway else None
        try:
            if reference:
                # The user's route: not written, only read for the Gateway's verdict.
                return await kube.get_or_none(
                    self._api, render.ROUTE.api_version, render.ROUTE.plural, namespace, reference
                ), body
            desired = render.render_route(md, gateway, pool, model)
            live = await kube.get_or_none(
                self._api, render.ROUTE.api_version, render.ROUTE.plural, namespace, md.metadata.name or ""
            )
            if (
                live is None
                and (md.metadata.annotations or {}).get(constants.ANNOTATION_HTTPROUTE_CREATED) == "true"
            ):
                return None, body  # created once and deleted by someone since: respected (§6.8)
            route, created = await self._io.ensure(md, desired, live=live, known=True)
        except (ApiException, gateway_io.ForeignObjectError) as err:
            raise _StepFailedError(gw_status.HTTPROUTE_FAILED, _describe("HTTPRoute", err)) from err
        if created:
            body = await self._io.annotate(md, constants.ANNOTATION_HTTPROUTE_CREATED, "true")
        return route, body

    # ---------------------------------------------------------------- clean-up (§6.13)

    async def _cleanup(
        self, md: ModelDeployment, body: Mapping[str, Any], *, persist: bool
    ) -> Mapping[str, Any]:
        caps = capabilities.resolve(md, self._configs())
        manages = capabilities.manages_pool(caps)
        for target in render.cleanup_targets(md, manages_pool=manages, istio=self.detection.istio):
            try:
                await self._io.delete_owned(md, target)
            except ApiException as err:
                if target.kind in (render.POOL, render.ROUTE):
                    raise
                logger.warning(
                    f"Not deleted: {target.kind.kind} {target.namespace}/{target.name}: {errors.message(err)}"
                )
        if self._options.patch_allowed_routes:
            try:
                await self._release_for(md)
            except NoGatewayError:
                pass  # no Gateway: no allowedRoutes of ours to release
            except ApiException as err:
                logger.warning(
                    f"Gateway allowedRoutes not cleaned up for namespace {md.metadata.namespace}: {err}"
                )
        if persist and (md.metadata.annotations or {}).get(constants.ANNOTATION_HTTPROUTE_CREATED):
            body = await self._io.annotate(md, constants.ANNOTATION_HTTPROUTE_CREATED, None)
        return body

    async def _release_for(self, md: ModelDeployment) -> None:
        gateway, _ = await self._io.gateway()
        namespace = md.metadata.namespace or ""
        if namespace == gateway.namespace or self._namespace_needs_gateway(
            namespace, exclude=md.metadata.uid
        ):
            return
        await self._io.release(gateway, namespace)

    async def _release_namespace(self, namespace: str) -> None:
        if not self.detection.available or self._namespace_needs_gateway(namespace, exclude=None):
            return
        try:
            gateway, _ = await self._io.gateway()
        except NoGatewayError:
            return
        if gateway.namespace != namespace:
            await self._io.release(gateway, namespace)

    def _namespace_needs_gateway(self, namespace: str, exclude: str | None) -> bool:
        for key, body in self._cache.items():
            meta = body.get("metadata") or {}
            if (
                not key.startswith(f"{namespace}/")
                or meta.get("uid") == exclude
                or meta.get("deletionTimestamp")
            ):
                continue
            if ((body.get("spec") or {}).get("gateway") or {}).get("enabled") is not False:
                return True
        return False

    # ---------------------------------------------------------------- status

    async def _write(self, md: ModelDeployment, body: Mapping[str, Any], verdict: gw_status.Verdict) -> None:
        observed = body.get("status") or {}
        desired = gw_status.fields(observed, verdict, md.metadata.generation, datetime.now(UTC))
        patch = merge_patch(observed, desired)
        if patch:
            updated = await gateway_io.own_write(
                modeldeployments.patch_status(
                    self._api, md.metadata.namespace or "", md.metadata.name or "", patch
                )
            )
            body = self._cache.store(updated)
        event = gw_status.transition(observed, verdict)
        if event is not None and not _quiet(md, verdict):
            self._post(body, event)

    def status_for_running(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """GatewayReady for a ModelDeployment whose status is about to say Running, when the answer
        needs neither a read nor a write of this controller (no Gateway to attach to): the
        provider's Running write then carries it, and this controller's pass finds nothing to do."""
        if not (self.detection.known and self.detection.available and self._io.gateways.primed):
            return None
        if self._options.gateway_name and self._options.gateway_namespace:
            return None
        try:
            md = modeldeployment.parse(body)
        except ValidationError:
            return None
        observed = body.get("status") or {}
        if plan.decide(md, observed, available=True) is not Action.CONFIGURE or _asked(md):
            return None
        try:
            self._io.choose()
        except NoGatewayError as err:
            verdict = gw_status.failed(gw_status.NO_GATEWAY, str(err))
            return gw_status.fields(observed, verdict, md.metadata.generation, datetime.now(UTC))
        return None

    def _count_error(self, md: ModelDeployment) -> None:
        if self._metrics is not None:
            self._metrics.error(capabilities.provider_name(md) or None, "gateway")


def _asked(md: ModelDeployment) -> bool:
    return md.spec.gateway is not None and md.spec.gateway.enabled is True


def _quiet(md: ModelDeployment, verdict: gw_status.Verdict) -> bool:
    """No Warning Event for "no Gateway" where the gateway was not asked for: a cluster with the
    CRDs but no Gateway would put one on every ModelDeployment (the condition still says it)."""
    return verdict.reason == gw_status.NO_GATEWAY and not _asked(md)


def _describe(kind: str, err: Exception) -> str:
    if isinstance(err, ApiException):
        return f"cannot write {kind}: {errors.message(err)}"
    return str(err)
