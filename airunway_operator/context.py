"""The operator's one typed context: every long-lived object handlers need, built once per process.

kopf hands each handler a shallow copy of its memo; the memo carries exactly one attribute,
`context`, so handlers share these objects and a missing part is a type error, not an
AttributeError at run time.

Start-up order: no controller writes before this process's own admission webhook serves (with
the shipped `failurePolicy: Fail`, a write to our kinds is refused until some webhook answers),
and, with leader election on, before this replica holds the leader Lease. Work that arrives
earlier waits in the queues; then every cached ModelDeployment is queued and every queue starts,
provider registration and the legacy migration first. A leader that loses its Lease stops its
queues at once and asks kopf to stop the process (exit code 1), as controller-runtime does; the
Deployment restarts it as a follower. Stopping is bounded: `stop()` gives the provider "not
ready" writes a few seconds at most, whatever the API server does, then releases the Lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubernetes import client

from airunway_operator import logs, version
from airunway_operator.admission import configuration
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.kube import webhooks
from airunway_operator.kube.client import call
from airunway_operator.kube.events import EventPoster
from airunway_operator.kube.listwatch import ListWatch
from airunway_operator.metrics import Metrics
from airunway_operator.metrics_server import SecureMetricsServer
from airunway_operator.reconcile import migration, targets
from airunway_operator.reconcile.cache import ObjectCache, key_of
from airunway_operator.reconcile.certs import CertRotator
from airunway_operator.reconcile.core import CoreReconciler
from airunway_operator.reconcile.gateway import GatewayController, GatewayOptions
from airunway_operator.reconcile.leader import LeaderElector
from airunway_operator.reconcile.pods import PodIndex
from airunway_operator.reconcile.provider import ProviderRuntime
from airunway_operator.reconcile.providerconfig_status import RulesStatusWriter
from airunway_operator.reconcile.targets import TargetCache
from airunway_operator.reconcile.workqueue import WorkQueue
from airunway_operator.settings import Settings, provider_settings
from providers.base import Provider

_log = logging.getLogger("airunway.startup")

#: Seconds the clean-up may spend on its last writes (providers not ready, webhook registration
#: removed) before the process exits anyway; the rest of the 10 s budget is kopf's own teardown.
STOP_WRITES_TIMEOUT: Final = 3.0
#: How long the queues wait at start for the first list of each of our watches.
WATCH_LIST_WAIT: Final = 10.0


class ProviderIndex:
    """The latest view of kopf's InferenceProviderConfig index, published by the handlers."""

    def __init__(self) -> None:
        self.index: Mapping[str, Any] | None = None

    def configs(self) -> list[InferenceProviderConfig]:
        if not self.index:
            return []
        configs = (config for store in self.index.values() for config in store)
        return sorted(configs, key=lambda c: c.metadata.name or "")


@dataclass
class OperatorContext:
    settings: Settings
    api_client: client.ApiClient
    enabled_providers: tuple[Provider, ...]
    metrics: Metrics = field(default_factory=Metrics)
    cache: ObjectCache = field(default_factory=ObjectCache)
    providers: ProviderIndex = field(default_factory=ProviderIndex)
    #: Essentials of the pods serving each ModelDeployment (the pod watch feeds it).
    pods: PodIndex = field(default_factory=PodIndex)
    targets: TargetCache = field(default_factory=TargetCache)
    #: The namespaces the operator watches; empty for the whole cluster.
    namespaces: tuple[str, ...] = ()
    #: Our own watches of built-in kinds (`handlers.targets.lean_watches`), set by the runner.
    watches: list[ListWatch] = field(default_factory=list)
    core: CoreReconciler | None = None
    #: The Gateway API Inference Extension integration (with the core, unless turned off).
    gateway: GatewayController | None = None
    runtimes: tuple[ProviderRuntime, ...] = ()
    #: Set once this process's admission webhook listens (or at once when it serves none).
    webhook_serving: asyncio.Event = field(default_factory=asyncio.Event)
    migration: WorkQueue[str] | None = None
    rules_status: RulesStatusWriter | None = None
    events: EventPoster | None = None
    webhook_registration: WorkQueue[str] | None = None
    #: The managed webhook certificate's rotation (every replica runs it, leader or not).
    webhook_certificates: CertRotator | None = None
    #: The leader election, when on; queues start only while it leads.
    elector: LeaderElector | None = None
    #: kopf's stop flag: set when this replica lost the leader Lease.
    stop_flag: asyncio.Event = field(default_factory=asyncio.Event)
    lost_leadership: bool = False
    metrics_server: SecureMetricsServer | None = None
    _starter: asyncio.Task[None] | None = None
    _stopping: asyncio.Task[None] | None = None

    @classmethod
    def build(
        cls, settings: Settings, api_client: client.ApiClient, enabled: tuple[Provider, ...]
    ) -> OperatorContext:
        ctx = cls(settings=settings, api_client=api_client, enabled_providers=enabled)
        ctx.pods = PodIndex(p.pod_label for p in enabled if p.pod_label)
        events = ctx.events = EventPoster(api_client)
        if settings.core:
            ctx.core = CoreReconciler(
                api_client,
                ctx.metrics,
                events.post,
                ctx.providers.configs,
                ctx.cache,
                finalizer_timeout=settings.finalizer_timeout_seconds,
                selector_enabled=settings.provider_selector,
            )
            ctx.migration = WorkQueue("migration", ctx._migrate, workers=1)
            if settings.gateway_enabled:
                ctx.gateway = GatewayController(
                    api_client,
                    ctx.cache,
                    ctx.providers.configs,
                    events.post,
                    _gateway_options(settings),
                    ctx.metrics,
                )
            ctx.rules_status = RulesStatusWriter(api_client)
        ctx.runtimes = tuple(
            ProviderRuntime(
                provider,
                api_client,
                ctx.cache,
                events.post,
                version=version.VERSION,
                settings=provider_settings(provider.env_prefix),
                finalizer_timeout=settings.finalizer_timeout_seconds,
                heartbeat_seconds=settings.heartbeat_seconds,
                pods=ctx.pods,
                targets=ctx.targets,
                download_job_image=settings.download_job_image,
            )
            for provider in enabled
        )
        if ctx.gateway is not None:
            for runtime in ctx.runtimes:
                runtime.running_status = ctx.gateway.status_for_running
        if ctx.core is not None:
            ctx.core.on_done = ctx.provider_work
            ctx.core.local_provider = ctx.local_provider
        if not settings.webhook_enabled:
            ctx.webhook_serving.set()
        if settings.leader_elect:
            ctx.elector = LeaderElector(
                api_client, settings.lease_namespace, settings.leader_election_id, ctx._leadership_lost
            )
        return ctx

    # ---------------------------------------------------------------- work routing

    def provider_work(self, key: str) -> None:
        """Hand an object to every in-process provider that claims it."""
        body = self.cache.get(key)
        if body is None:
            return
        for runtime in self.runtimes:
            if runtime.claims(body):
                runtime.enqueue(key)

    def local_provider(self, body: Mapping[str, Any]) -> ProviderRuntime | None:
        """The one in-process provider that serves `body`, if any (it continues the core's pass)."""
        claiming = [runtime for runtime in self.runtimes if runtime.claims(body)]
        return claiming[0] if len(claiming) == 1 else None

    def object_changed(self, body: Mapping[str, Any]) -> str:
        """A ModelDeployment watch event: remember the body, queue the core and its providers."""
        latest = self.cache.store(dict(body))
        key = key_of(latest)
        if self.gateway is not None:
            self.gateway.enqueue(key)
        if self.cache.is_echo(body):
            # Our own write coming back: the pass that made it already went on from its answer.
            if self.core is not None:
                self.core.observe(latest)
            return key
        if self.core is not None:
            self.core.enqueue(key)
        self.provider_work(key)
        return key

    def object_deleted(self, key: str) -> None:
        self.cache.forget(key)
        if self.core is not None:
            self.core.forget(key)
        if self.gateway is not None:
            self.gateway.deleted(key)
        for runtime in self.runtimes:
            runtime.forget(key)

    # ---------------------------------------------------------------- lifecycle

    @property
    def leads(self) -> bool:
        """True when this replica may reconcile: it holds the Lease, or leader election is off."""
        return self.elector is None or self.elector.leading

    def start(self) -> None:
        """Start the queues in the background once the webhook serves (and this replica leads)."""
        if self.elector is not None:
            self.elector.start()
        loop = asyncio.get_running_loop()
        for watch in self.watches:
            watch.start(loop)
        self._starter = loop.create_task(self._start(), name="context-start")

    async def _start(self) -> None:
        await self.webhook_serving.wait()
        if self.elector is not None:
            await self.elector.elected.wait()
            # Every replica sees every event, so a follower's cache is warm: queue all it knows.
            for key, _ in self.cache.items():
                if self.core is not None:
                    self.core.enqueue(key)
                self.provider_work(key)
        # The first passes must see what exists: our watches' first lists, and one list of each
        # kind kopf watches. Best effort: a list that cannot finish leaves it to the watches (and
        # a create answering 409 to one read).
        listed = await asyncio.gather(*(w.wait_listed(WATCH_LIST_WAIT) for w in self.watches))
        for watch, done in zip(self.watches, listed, strict=True):
            if not done:
                _log.info("No first list of %s yet; starting without it", watch.name)
        ours = {(w.api_version, w.plural) for w in self.watches}
        kinds = [
            kind
            for runtime in self.runtimes
            for kind in runtime.provider.targets
            if (kind.api_version, kind.plural) not in ours
        ]
        await targets.prime(self.targets, self.api_client, kinds, self.namespaces)
        for runtime in self.runtimes:
            runtime.start()
        if self.migration is not None:
            self.migration.start()
            self.migration.add("legacy-inferenceproviderconfigs")
        if self.rules_status is not None:
            self.rules_status.queue.start()
        if self.core is not None:
            self.core.start()
        if self.gateway is not None:
            self.gateway.start()
        _log.info(
            "Operator started: core %s, providers %s",
            "on" if self.core is not None else "off",
            ", ".join(r.provider.name for r in self.runtimes) or "none",
        )

    def _leadership_lost(self) -> None:
        """Stop reconciling now; kopf then stops the process through its stop flag."""
        self.lost_leadership = True
        self._stopping = asyncio.get_running_loop().create_task(self._stop_queues(), name="leader-lost")
        self.stop_flag.set()

    async def stop(self) -> None:
        """Stop every queue, then make the last writes (providers not ready, loopback webhook
        registration removed, leader Lease released) concurrently within STOP_WRITES_TIMEOUT."""
        if self._starter is not None:
            self._starter.cancel()
        for watch in self.watches:
            watch.stop()
        if self.elector is not None:
            await self.elector.stop()
        await self._stop_queues()
        if self.events is not None:
            self.events.close()
        last: dict[str, Coroutine[Any, Any, None]] = {}
        if self.leads:
            # A follower never ran the providers: marking them not ready would hide the leader's.
            last = {f"provider {r.provider.name} marked not ready": r.mark_not_ready() for r in self.runtimes}
        if self.settings.webhook_register:
            last[f"webhook configuration {configuration.NAME} removed"] = call(
                webhooks.deregister, self.api_client, configuration.NAME, timeout=(2.0, 2.0)
            )
        if self.elector is not None and self.elector.leading:
            # In the same window: stopping stays bounded whatever the API server does.
            where = f"{self.elector.namespace}/{self.elector.name}"
            last[f"leader lease {where} released"] = self.elector.release()
        await _last_writes(last)
        # kopf leaves its waiter on our stop flag running after a signal and then gives such
        # leftover tasks a 5 s grace: setting the flag lets it finish at once.
        self.stop_flag.set()

    async def _stop_queues(self) -> None:
        queues = [r.stop() for r in self.runtimes]
        if self.gateway is not None:
            queues.append(self.gateway.stop())
        rules = self.rules_status.queue if self.rules_status else None
        for queue in (
            self.core.queue if self.core else None,
            self.migration,
            self.webhook_registration,
            rules,
        ):
            if queue is not None:
                queues.append(queue.stop())
        await asyncio.gather(*queues, return_exceptions=True)

    async def _migrate(self, _: str) -> None:
        summary = await migration.migrate_provider_configs(self.api_client)
        if not summary.crd_absent:
            _log.info("Migrated legacy InferenceProviderConfigs", extra=summary.as_log())


def _gateway_options(settings: Settings) -> GatewayOptions:
    return GatewayOptions(
        gateway_name=settings.gateway_name,
        gateway_namespace=settings.gateway_namespace,
        epp_port=settings.epp_service_port,
        epp_image=settings.epp_image,
        patch_allowed_routes=settings.patch_gateway_allowed_routes,
        discover_model_names=settings.gateway_model_discovery,
    )


async def _last_writes(last: Mapping[str, Coroutine[Any, Any, None]]) -> None:
    """Run `last` concurrently for at most STOP_WRITES_TIMEOUT seconds and log what was done."""
    if not last:
        return
    futures = {what: asyncio.ensure_future(work) for what, work in last.items()}
    _, pending = await asyncio.wait(futures.values(), timeout=STOP_WRITES_TIMEOUT)
    for what, future in futures.items():
        if future in pending:
            future.cancel()
            _log.warning(f"Not done at exit: {what} (the API server did not answer in time)")
        elif (error := future.exception()) is not None:
            _log.warning(f"Not done at exit: {what} ({logs.describe(error)})")
        else:
            _log.info(f"At exit: {what}")
