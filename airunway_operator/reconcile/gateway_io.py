"""The gateway controller's reads and writes, one small step each (no decisions).

Choosing and reading the Gateway, conditional edits of its listeners, create-or-apply of owned
objects (only when they differ, never taking over someone else's object), owned-only deletion,
ModelDeployment annotations, the body-based-router restart, model pod labels and the model
server's `/v1/models` answer. Errors are the client's ApiException, except `ForeignObjectError`.
"""

from __future__ import annotations

import http.client
import logging
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.core import drift
from airunway_operator.gateway import gateways, modelname, render
from airunway_operator.gateway.gateways import GatewayRef
from airunway_operator.gateway.render import Manifest
from airunway_operator.kube import errors
from airunway_operator.kube import gateways as kube
from airunway_operator.kube.client import call
from airunway_operator.reconcile.cache import ObjectCache
from airunway_operator.reconcile.gateway_index import GatewayIndex

logger = logging.getLogger("airunway.gateway")

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


class GoneError(Exception):
    """The ModelDeployment was deleted while the pass ran; its DELETED event cleans up."""


class GatewayIO:
    def __init__(self, api_client: client.ApiClient, cache: ObjectCache, options: GatewayOptions) -> None:
        self._api = api_client
        self._cache = cache
        self._options = options
        self.gateways = GatewayIndex()

    async def gateway(self) -> tuple[GatewayRef, Mapping[str, Any] | None]:
        """The Gateway to attach to and its body, from the Gateway index (one list primes it)."""
        if not self.gateways.primed:
            await self.prime_gateways()
        chosen = gateways.configured(self._options.gateway_name, self._options.gateway_namespace)
        if chosen is not None:
            return chosen, self.gateways.get(chosen.namespace, chosen.name)
        return self.choose()

    async def prime_gateways(self) -> None:
        self.gateways.prime(await kube.list_all(self._api, render.GATEWAY.api_version, render.GATEWAY.plural))

    def choose(self) -> tuple[GatewayRef, Mapping[str, Any] | None]:
        """The Gateway among the indexed ones (no read; raises NoGatewayError)."""
        listed = self.gateways.listed()
        chosen, ambiguous = gateways.choose(listed)
        if ambiguous:
            logger.warning(f"Several Gateways are labelled; using {chosen.namespace}/{chosen.name}")
        live = next(
            g
            for g in listed
            if (g["metadata"].get("namespace"), g["metadata"].get("name")) == (chosen.namespace, chosen.name)
        )
        return chosen, live

    async def delete_owned(self, md: ModelDeployment, target: render.Target) -> None:
        kind = target.kind
        live = await kube.get_or_none(self._api, kind.api_version, kind.plural, target.namespace, target.name)
        if live is None or not owned_by(live, md.metadata.uid):
            return  # never ours (a user's object with the same name stays)
        if await kube.delete(self._api, kind.api_version, kind.plural, target.namespace, target.name):
            logger.info(
                f"Deleted {kind.kind} {target.namespace}/{target.name} of ModelDeployment {md.metadata.name}"
            )

    async def admit(self, gateway: GatewayRef, namespace: str) -> Mapping[str, Any] | None:
        return await self._edit_listeners(gateway, lambda live: gateways.admit(live, namespace))

    async def release(self, gateway: GatewayRef, namespace: str) -> None:
        if await self._edit_listeners(gateway, lambda live: gateways.release(live, namespace)) is not None:
            logger.info(f"Removed namespace {namespace} from Gateway {gateway.namespace}/{gateway.name}")

    async def _edit_listeners(
        self, gateway: GatewayRef, edit: Callable[[Mapping[str, Any]], list[dict[str, Any]] | None]
    ) -> Mapping[str, Any] | None:
        """Edit and conditionally patch the listeners (the indexed body first, re-read after a
        conflict) until no conflict; None when the Gateway already says what we want."""
        kind = render.GATEWAY
        for attempt in range(PATCH_ATTEMPTS):
            live = self.gateways.get(gateway.namespace, gateway.name) if attempt == 0 else None
            if live is None:
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
                patched = await kube.merge_patch(
                    self._api, kind.api_version, kind.plural, gateway.namespace, gateway.name, patch
                )
            except ApiException as err:
                if not errors.is_conflict(err) or attempt == PATCH_ATTEMPTS - 1:
                    raise
            else:
                self.gateways.store(patched)
                return patched
        return None

    async def ensure(
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
        if not owned_by(live, owner_uid or md.metadata.uid):
            raise ForeignObjectError(
                f"{kind.kind} {meta['namespace']}/{meta['name']} exists and is not owned by ModelDeployment "
                f"{md.metadata.name}; delete or rename it"
            )
        if drift.in_sync(manifest, live):
            return live, False
        updated = await kube.apply(self._api, kind.api_version, kind.plural, manifest)
        logger.info(f"Updated {where}")
        return updated, False

    async def annotate(self, md: ModelDeployment, key: str, value: str | None) -> Mapping[str, Any]:
        updated = await own_write(
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

    async def restart_bbr(self, gateway: GatewayRef) -> bool:
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

    async def model_service(self, md: ModelDeployment) -> Mapping[str, Any] | None:
        endpoint = md.status.endpoint if md.status is not None else None
        if endpoint is None or not endpoint.service:
            return None
        try:
            return await kube.get_or_none(
                self._api, "v1", "services", md.metadata.namespace or "", endpoint.service
            )
        except ApiException:
            return None

    async def label_pods(self, md: ModelDeployment, service: Mapping[str, Any] | None) -> None:
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

    async def discover(self, md: ModelDeployment, service: Mapping[str, Any] | None) -> str | None:
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


async def own_write(write: Awaitable[Any]) -> Any:
    """A write to the ModelDeployment itself; a 404 means it is gone (not a gateway failure)."""
    try:
        return await write
    except ApiException as err:
        if errors.is_object_missing(err):
            raise GoneError from err
        raise


def _fetch_models(url: str) -> str | None:
    with urllib.request.urlopen(url, timeout=DISCOVERY_TIMEOUT) as response:
        if response.status != 200:
            return None
        return modelname.parse_models(response.read(modelname.MAX_BODY))


def owned_by(live: Mapping[str, Any], uid: str | None) -> bool:
    refs = (live.get("metadata") or {}).get("ownerReferences") or ()
    return uid is not None and any(ref.get("uid") == uid and ref.get("controller") for ref in refs)


def status_port(md: ModelDeployment) -> int | None:
    endpoint = md.status.endpoint if md.status is not None else None
    return endpoint.port if endpoint is not None else None
