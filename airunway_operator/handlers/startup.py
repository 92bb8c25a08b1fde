"""Operator-wide kopf settings and the shared objects handlers use, created once at start-up."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import kopf
import prometheus_client

from airunway_operator import version
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.kube.events import EventPoster
from airunway_operator.metrics import Metrics
from airunway_operator.reconcile.cache import ObjectCache
from airunway_operator.reconcile.core import CoreReconciler
from airunway_operator.reconcile.provider import ProviderRuntime
from airunway_operator.settings import Settings
from providers.base import Provider

_log = logging.getLogger("airunway.startup")


class ProviderIndex:
    """Shared view of kopf's InferenceProviderConfig index.

    kopf gives every object its own shallow copy of the operator memo, so handlers publish the
    index through this one shared holder rather than by assigning memo attributes.
    """

    def __init__(self) -> None:
        self.index: Mapping[str, Any] | None = None

    def configs(self) -> list[InferenceProviderConfig]:
        if not self.index:
            return []
        configs = (config for store in self.index.values() for config in store)
        return sorted(configs, key=lambda c: c.metadata.name or "")


@kopf.on.startup()
async def operator_configure(
    settings: kopf.OperatorSettings, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    ours: Settings = memo.settings
    # We post our own Events; kopf's per-handler "Handler succeeded" events would be noise.
    settings.posting.level = logging.WARNING
    settings.persistence.finalizer = "airunway.ai/kopf-finalizer"
    settings.watching.server_timeout = 1800
    metrics = Metrics()
    if ours.metrics_port:
        try:
            prometheus_client.start_http_server(
                ours.metrics_port, ours.metrics_host, registry=metrics.registry
            )
        except OSError as err:
            # Retrying would not free the port; stop with a message naming the setting instead.
            raise kopf.PermanentError(
                f"metrics port {ours.metrics_host}:{ours.metrics_port} is unavailable ({err}); "
                "set AIRUNWAY_METRICS_PORT to a free port, or 0 to disable metrics"
            ) from err
    memo.metrics = metrics
    memo.providers = ProviderIndex()
    memo.cache = ObjectCache()
    post_event = EventPoster(memo.api_client).post
    memo.core = None
    if ours.core:
        memo.core = CoreReconciler(
            memo.api_client,
            metrics,
            post_event,
            memo.providers.configs,
            memo.cache,
            finalizer_timeout=ours.finalizer_timeout_seconds,
            selector_enabled=ours.provider_selector,
        )
    enabled: tuple[Provider, ...] = memo.enabled_providers
    memo.runtimes = tuple(
        ProviderRuntime(
            provider,
            memo.api_client,
            memo.cache,
            post_event,
            version=version.VERSION,
            settings=ours.provider_settings(),
            finalizer_timeout=ours.finalizer_timeout_seconds,
        )
        for provider in enabled
    )
    for runtime in memo.runtimes:
        await runtime.ensure_registered()
    _log.info(
        "Operator configured",
        extra={"core": ours.core, "providers": [p.name for p in enabled], "metrics_port": ours.metrics_port},
    )


@kopf.on.cleanup()
async def operator_unregister(memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    for runtime in memo.get("runtimes") or ():
        try:
            await runtime.register(ready=False)
        except Exception as err:
            _log.warning(
                "Could not mark provider not ready",
                extra={"provider": runtime.provider.name, "error": str(err)},
            )
