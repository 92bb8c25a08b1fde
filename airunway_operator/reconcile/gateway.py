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

import http.client
import logging
import urllib.request
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from kubernetes import client
from kubernetes.client.rest import ApiException
from pydantic import ValidationError

from airunway_operator.api import constants, modeldeployment
from airunway_operator.api.constants import Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import GatewayCapabilities, InferenceProviderConfig
from airunway_operator.core import drift
from airunway_operator.core.events import Event
from airunway_operator.gateway import capabilities, detection, epp, gateways, modelname, render
from airunway_operator.gateway import status as gw_status
from airunway_operator.gateway.detection import Detection
from airunway_operator.gateway.gateways import GatewayRef, NoGatewayError
from airunway_operator.gateway.render import Manifest
from airunway_operator.kube import errors, modeldeployments
from airunway_operator.kube import gateways as kube
from airunway_operator.kube.client import call
from airunway_operator.metrics import Metrics
from airunway_operator.reconcile.cache import ObjectCache
from airunway_operator.reconcile.workqueue import RetryError, WorkQueue
from airunway_operator.status.patch import merge_patch

logger = logging.getLogger("airunway.gateway")
EventSink = Callable[[Mapping[str, Any], Event], None]

BBR_DEPLOYMENT: Final = "body-based-router"
DISCOVERY_TIMEOUT: Final = 5.0
#: Attempts of a conditional Gateway listener patch before a conflict counts as a failure.
PATCH_ATTEMPTS: Final = 5


@dataclass(frozen=True)
class GatewayOptions:
    """The §6.14 settings the controller needs."""

    gateway_name: str = ""
    gateway_namespace: str = ""
    epp_port: int = 9002
    epp_image: str = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
    patch_allowed_routes: bool = True
    discover_model_names: bool = True


class ForeignObjectError(Exception):
    """An object with the name we need exists and is not owned by the ModelDeployment."""


class _GoneError(Exception):
    """The ModelDeployment was deleted while the pass ran; its DELETED event cleans up."""


class _StepFailedError(Exception):
    """A step failed with a GatewayReady reason; the pass records it and retries."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


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
        self._metrics = metrics
        self.detection = Detection()
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
        if (before.available, before.istio) != (self.detection.available, self.detection.istio):
            logger.info(
                "Gateway API Inference Extension %s",
                "detected" if self.detection.available else "not available",
                extra={"crd": name},
            )
            self.enqueue_all()

    def owned_changed(self, body: Mapping[str, Any]) -> None:
        """An InferencePool or HTTPRoute changed: re-run the ModelDeployment owning it. A pool owned
        by something else may be a provider's that a ModelDeployment waits for."""
        meta = body.get("metadata") or {}
        owners = [
            ref.get("name")
            for ref in meta.get("ownerReferences") or ()
            if ref.get("kind") == constants.MODELDEPLOYMENT_KIND and ref.get("controller")
        ]
        for name in owners:
            self.queue.add(f"{meta.get('namespace')}/{name}")
        if not owners and body.get("kind") == render.POOL.kind:
            self.gateway_changed()

    def gateway_changed(self) -> None:
        """A Gateway changed (address, listeners, labels): every routed ModelDeployment may care."""
        for key, body in self._cache.items():
            if (body.get("status") or {}).get("phase") == Phase.RUNNING.value:
                self.queue.add(key)

    async def _detect(self, _: str) -> None:
        """The initial state, read once from the CRDs themselves; watch events keep it current."""
        found = set()
        for name in sorted(detection.WATCHED):
            crd = await kube.read_crd(self._api, name)
            if crd is not None and detection.is_served(crd):
                found.add(name)
        served = frozenset(found)
        if self.detection.known:
            return  # the watch was first
        self.detection = Detection(served)
        logger.info(
            "Gateway API Inference Extension %s", "detected" if self.detection.available else "not available"
        )
        self.enqueue_all()

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
            except _GoneError:
                return
            except ApiException as err:
                if errors.is_conflict(err):
                    self.queue.add_after(key, 0.2)
                    return
                self._count_error(md)
                raise

    async def _reconcile(self, md: ModelDeployment, body: Mapping[str, Any]) -> None:
        observed = body.get("status") or {}
        annotations = md.metadata.annotations or {}
        if md.metadata.deletion_timestamp is not None:
            if self.detection.available:
                await self._cleanup(md, body, persist=False)
            return
        if annotations.get(constants.ANNOTATION_RECONCILE_PAUSED) == "true" or _is_mocker(md):
            return
        enabled = md.spec.gateway.enabled if md.spec.gateway is not None else None
        running = observed.get("phase") == Phase.RUNNING.value
        if not self.detection.available:
            # Asked for explicitly, or configured before the CRDs went away: say why it is not.
            if running and enabled is not False and (enabled is True or gw_status.was_ready(observed)):
                await self._write(md, body, gw_status.crds_missing())
            return
        if not running:
            return  # leaving Running keeps routing and status as they were (§6.10)
        if enabled is False:
            if gw_status.current_reason(observed) != gw_status.GATEWAY_DISABLED:
                body = await self._cleanup(md, body, persist=True)
                await self._write(md, body, gw_status.disabled())
            return
        try:
            verdict, body = await self._configure(md, body)
        except _StepFailedError as failure:
            self._count_error(md)
            await self._write(md, body, gw_status.failed(failure.reason, failure.message))
            raise RetryError(f"{failure.reason}: {failure.message}") from failure
        await self._write(md, body, verdict)

    # ---------------------------------------------------------------- configure (§6.3)

    async def _configure(
        self, md: ModelDeployment, body: Mapping[str, Any]
    ) -> tuple[gw_status.Verdict, Mapping[str, Any]]:
        try:
            gateway, gateway_body = await self._gateway()
        except NoGatewayError as err:
            raise _StepFailedError(gw_status.NO_GATEWAY, str(err)) from err
        except ApiException as err:
            raise _StepFailedError(
                gw_status.NO_GATEWAY, f"cannot list Gateways: {errors.message(err)}"
            ) from err
        caps = capabilities.resolve(md, self._configs())
        namespace = md.metadata.namespace or ""
        service = await self._model_service(md)
        await self._label_pods(md, service)
        if self._options.patch_allowed_routes and namespace != gateway.namespace:
            try:
                gateway_body = await self._admit(gateway, namespace) or gateway_body
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
            md, caps, await self._discover(md, service)
        )
        route, body = await self._route(md, body, gateway, pool, model)
        endpoint = gateways.endpoint(gateway_body)
        refusal = gateways.route_refusal(route, gateway)
        if refusal is not None:
            return gw_status.refused(
                refusal.reason, refusal.message, endpoint, model, gateway.namespace
            ), body
        return gw_status.configured(endpoint, model, gateway.namespace), body

    async def _gateway(self) -> tuple[GatewayRef, Mapping[str, Any] | None]:
        chosen = gateways.configured(self._options.gateway_name, self._options.gateway_namespace)
        if chosen is not None:
            live = await kube.get_or_none(
                self._api, render.GATEWAY.api_version, render.GATEWAY.plural, chosen.namespace, chosen.name
            )
            return chosen, live
        listed = await kube.list_all(self._api, render.GATEWAY.api_version, render.GATEWAY.plural)
        chosen, ambiguous = gateways.choose(listed)
        if ambiguous:
            logger.warning(f"Several Gateways are labelled; using {chosen.namespace}/{chosen.name}")
        live = next(
            g
            for g in listed
            if (g["metadata"].get("namespace"), g["metadata"].get("name")) == (chosen.namespace, chosen.name)
        )
        return chosen, live

    async def _controller_pool(
        self,
        md: ModelDeployment,
        gateway: GatewayRef,
        service: Mapping[str, Any] | None,
        caps: GatewayCapabilities | None,
    ) -> None:
        port = modelname.target_port(service, _status_port(md))
        try:
            _, created = await self._ensure(md, render.render_pool(md, port, self._options.epp_port))
        except (ApiException, ForeignObjectError) as err:
            raise _StepFailedError(gw_status.INFERENCE_POOL_FAILED, _describe("InferencePool", err)) from err
        if created:
            await self._restart_bbr(gateway)
        manifests = epp.render_stack(md, caps, image=self._options.epp_image, port=self._options.epp_port)
        if self.detection.istio:
            manifests.append(
                render.render_destination_rule(md, render.epp_name(md), md.metadata.namespace or "")
            )
        for manifest in manifests:
            try:
                await self._ensure(md, manifest)
            except (ApiException, ForeignObjectError) as err:
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
        annotations = md.metadata.annotations or {}
        if annotations.get(constants.ANNOTATION_BBR_RESTARTED) != "true" and await self._restart_bbr(gateway):
            body = await self._annotate(md, constants.ANNOTATION_BBR_RESTARTED, "true")
        if pool.namespace != md.metadata.namespace and self.detection.reference_grants:
            try:
                await self._ensure(
                    md, render.render_reference_grant(md, live), owner_uid=live["metadata"].get("uid")
                )
            except (ApiException, ForeignObjectError) as err:
                logger.warning(
                    f"ReferenceGrant for InferencePool {pool.namespace}/{pool.name} not written: {err}"
                )
        picker = ((live.get("spec") or {}).get("endpointPickerRef") or {}).get("name")
        if self.detection.istio and picker and pool.namespace == md.metadata.namespace:
            try:
                await self._ensure(md, render.render_destination_rule(md, picker, pool.namespace))
            except (ApiException, ForeignObjectError) as err:
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
            route, created = await self._ensure(md, desired, live=live, known=True)
        except (ApiException, ForeignObjectError) as err:
            raise _StepFailedError(gw_status.HTTPROUTE_FAILED, _describe("HTTPRoute", err)) from err
        if created:
            body = await self._annotate(md, constants.ANNOTATION_HTTPROUTE_CREATED, "true")
        return route, body

    # ---------------------------------------------------------------- clean-up (§6.13)

    async def _cleanup(
        self, md: ModelDeployment, body: Mapping[str, Any], *, persist: bool
    ) -> Mapping[str, Any]:
        caps = capabilities.resolve(md, self._configs())
        manages = capabilities.manages_pool(caps)
        for target in render.cleanup_targets(md, manages_pool=manages, istio=self.detection.istio):
            try:
                await self._delete_owned(md, target)
            except ApiException as err:
                if target.kind in (render.POOL, render.ROUTE):
                    raise
                logger.warning(
                    f"Not deleted: {target.kind.kind} {target.namespace}/{target.name}: {errors.message(err)}"
                )
        if self._options.patch_allowed_routes:
            try:
                await self._release_for(md)
            except (ApiException, NoGatewayError) as err:
                logger.warning(
                    f"Gateway allowedRoutes not cleaned up for namespace {md.metadata.namespace}: {err}"
                )
        if persist and (md.metadata.annotations or {}).get(constants.ANNOTATION_HTTPROUTE_CREATED):
            body = await self._annotate(md, constants.ANNOTATION_HTTPROUTE_CREATED, None)
        return body

    async def _delete_owned(self, md: ModelDeployment, target: render.Target) -> None:
        kind = target.kind
        live = await kube.get_or_none(self._api, kind.api_version, kind.plural, target.namespace, target.name)
        if live is None or not _owned_by(live, md.metadata.uid):
            return  # never ours (a user's object with the same name stays)
        if await kube.delete(self._api, kind.api_version, kind.plural, target.namespace, target.name):
            logger.info(
                f"Deleted {kind.kind} {target.namespace}/{target.name} of ModelDeployment {md.metadata.name}"
            )

    async def _release_for(self, md: ModelDeployment) -> None:
        gateway, _ = await self._gateway()
        namespace = md.metadata.namespace or ""
        if namespace == gateway.namespace or self._namespace_needs_gateway(
            namespace, exclude=md.metadata.uid
        ):
            return
        await self._release(gateway, namespace)

    async def _release_namespace(self, namespace: str) -> None:
        if not self.detection.available or self._namespace_needs_gateway(namespace, exclude=None):
            return
        try:
            gateway, _ = await self._gateway()
        except NoGatewayError:
            return
        if gateway.namespace != namespace:
            await self._release(gateway, namespace)

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

    # ---------------------------------------------------------------- Gateway listeners (§6.11)

    async def _admit(self, gateway: GatewayRef, namespace: str) -> Mapping[str, Any] | None:
        return await self._edit_listeners(gateway, lambda live: gateways.admit(live, namespace))

    async def _release(self, gateway: GatewayRef, namespace: str) -> None:
        if await self._edit_listeners(gateway, lambda live: gateways.release(live, namespace)) is not None:
            logger.info(f"Removed namespace {namespace} from Gateway {gateway.namespace}/{gateway.name}")

    async def _edit_listeners(
        self, gateway: GatewayRef, edit: Callable[[Mapping[str, Any]], list[dict[str, Any]] | None]
    ) -> Mapping[str, Any] | None:
        """Re-read, edit and conditionally patch the listeners until no conflict; None when the
        Gateway already says what we want."""
        kind = render.GATEWAY
        for attempt in range(PATCH_ATTEMPTS):
            live = await kube.get_or_none(
                self._api, kind.api_version, kind.plural, gateway.namespace, gateway.name
            )
            if live is None:
                raise ApiException(status=404, reason=f"Gateway {gateway.namespace}/{gateway.name} not found")
            listeners = edit(live)
            if listeners is None:
                return None
            patch = {
                "metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
                "spec": {"listeners": listeners},
            }
            try:
                return await kube.merge_patch(
                    self._api, kind.api_version, kind.plural, gateway.namespace, gateway.name, patch
                )
            except ApiException as err:
                if not errors.is_conflict(err) or attempt == PATCH_ATTEMPTS - 1:
                    raise
        return None

    # ---------------------------------------------------------------- small steps

    async def _ensure(
        self,
        md: ModelDeployment,
        manifest: Manifest,
        *,
        owner_uid: str | None = None,
        live: Mapping[str, Any] | None = None,
        known: bool = False,
    ) -> tuple[Mapping[str, Any], bool]:
        """Create `manifest` or bring the live object back to it; (object, created)."""
        kind = render.kind_of(manifest)
        meta = manifest["metadata"]
        where = f"{kind.kind} {meta['namespace']}/{meta['name']} for ModelDeployment {md.metadata.name}"
        if not known:
            live = await kube.get_or_none(
                self._api, kind.api_version, kind.plural, meta["namespace"], meta["name"]
            )
        if live is None:
            created = await kube.create(self._api, kind.api_version, kind.plural, manifest)
            logger.info(f"Created {where}")
            return created, True
        if not _owned_by(live, owner_uid or md.metadata.uid):
            raise ForeignObjectError(
                f"{kind.kind} {meta['namespace']}/{meta['name']} exists and is not owned by ModelDeployment "
                f"{md.metadata.name}; delete or rename it"
            )
        if drift.in_sync(manifest, live):
            return live, False
        updated = await kube.apply(self._api, kind.api_version, kind.plural, manifest)
        logger.info(f"Updated {where}")
        return updated, False

    async def _annotate(self, md: ModelDeployment, key: str, value: str | None) -> Mapping[str, Any]:
        updated = await _own_write(
            kube.merge_patch(
                self._api,
                constants.API_VERSION,
                constants.MODELDEPLOYMENT_PLURAL,
                md.metadata.namespace or "",
                md.metadata.name or "",
                {"metadata": {"annotations": {key: value}}},
            )
        )
        return self._cache.store(updated)

    async def _restart_bbr(self, gateway: GatewayRef) -> bool:
        """Roll the body-based router so it learns the new pool (§6.12); True unless it failed."""
        try:
            live = await kube.get_or_none(
                self._api, "apps/v1", "deployments", gateway.bbr_namespace, BBR_DEPLOYMENT
            )
            if live is None:
                return True
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            patch = {
                "spec": {
                    "template": {"metadata": {"annotations": {constants.ANNOTATION_RESTARTED_AT: stamp}}}
                }
            }
            await kube.strategic_patch(
                self._api, "apps/v1", "deployments", gateway.bbr_namespace, BBR_DEPLOYMENT, patch
            )
        except ApiException as err:
            logger.warning(f"Cannot restart {gateway.bbr_namespace}/{BBR_DEPLOYMENT}: {errors.message(err)}")
            return False
        logger.info(f"Restarted {gateway.bbr_namespace}/{BBR_DEPLOYMENT}")
        return True

    async def _model_service(self, md: ModelDeployment) -> Mapping[str, Any] | None:
        endpoint = md.status.endpoint if md.status is not None else None
        if endpoint is None or not endpoint.service:
            return None
        try:
            return await kube.get_or_none(
                self._api, "v1", "services", md.metadata.namespace or "", endpoint.service
            )
        except ApiException:
            return None

    async def _label_pods(self, md: ModelDeployment, service: Mapping[str, Any] | None) -> None:
        """Put the pool's selector label on the model pods that lack it (best effort, §6.3 step 5)."""
        selector = ((service or {}).get("spec") or {}).get("selector")
        if not selector:
            return
        namespace, name = md.metadata.namespace or "", md.metadata.name or ""
        try:
            for pod in await kube.list_pods(self._api, namespace, selector):
                meta = pod.get("metadata") or {}
                if (meta.get("labels") or {}).get(constants.LABEL_MODEL_DEPLOYMENT) == name:
                    continue
                patch = {"metadata": {"labels": {constants.LABEL_MODEL_DEPLOYMENT: name}}}
                await kube.merge_patch(self._api, "v1", "pods", namespace, meta.get("name") or "", patch)
        except ApiException as err:
            logger.debug(f"Model pods not labelled: {errors.message(err)}")

    async def _discover(self, md: ModelDeployment, service: Mapping[str, Any] | None) -> str | None:
        """The served model name the server reports at /v1/models (§6.9 step 3), or None."""
        endpoint = md.status.endpoint if md.status is not None else None
        if not self._options.discover_model_names or endpoint is None or not endpoint.service:
            return None
        port = modelname.service_port(service, endpoint.port)
        url = f"http://{endpoint.service}.{md.metadata.namespace}.svc:{port}/v1/models"
        try:
            return await call(_fetch_models, url)
        except (OSError, ValueError, http.client.HTTPException):
            return None  # not reachable from here, or not an OpenAI server: the next rule decides

    async def _write(self, md: ModelDeployment, body: Mapping[str, Any], verdict: gw_status.Verdict) -> None:
        observed = body.get("status") or {}
        desired = gw_status.fields(observed, verdict, md.metadata.generation, datetime.now(UTC))
        patch = merge_patch(observed, desired)
        if patch:
            updated = await _own_write(
                modeldeployments.patch_status(
                    self._api, md.metadata.namespace or "", md.metadata.name or "", patch
                )
            )
            body = self._cache.store(updated)
        event = gw_status.transition(observed, verdict)
        if event is not None:
            self._post(body, event)

    def _count_error(self, md: ModelDeployment) -> None:
        if self._metrics is not None:
            self._metrics.error(capabilities.provider_name(md) or None, "gateway")


async def _own_write(write: Awaitable[Any]) -> Any:
    """A write to the ModelDeployment itself; a 404 means it is gone (not a gateway failure)."""
    try:
        return await write
    except ApiException as err:
        if errors.is_object_missing(err):
            raise _GoneError from err
        raise


def _fetch_models(url: str) -> str | None:
    with urllib.request.urlopen(url, timeout=DISCOVERY_TIMEOUT) as response:
        if response.status != 200:
            return None
        return modelname.parse_models(response.read(modelname.MAX_BODY))


def _owned_by(live: Mapping[str, Any], uid: str | None) -> bool:
    refs = (live.get("metadata") or {}).get("ownerReferences") or ()
    return uid is not None and any(ref.get("uid") == uid and ref.get("controller") for ref in refs)


def _is_mocker(md: ModelDeployment) -> bool:
    backend = (md.metadata.annotations or {}).get(constants.ANNOTATION_DYNAMO_TEST_BACKEND)
    provider = md.spec.provider.name if md.spec.provider else None
    return backend == constants.DYNAMO_TEST_BACKEND_MOCKER and provider == "dynamo"


def _status_port(md: ModelDeployment) -> int | None:
    endpoint = md.status.endpoint if md.status is not None else None
    return endpoint.port if endpoint is not None else None


def _describe(kind: str, err: Exception) -> str:
    if isinstance(err, ApiException):
        return f"cannot write {kind}: {errors.message(err)}"
    return str(err)
