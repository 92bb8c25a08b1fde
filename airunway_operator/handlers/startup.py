"""Start-up and clean-up: kopf's settings, the metrics endpoint, and the operator context's queues.

The context (`memo.context`, built by the runner) owns every controller; its queues start only once
this process's webhook serves (and, with leader election, once it holds the Lease), so no write of
ours meets our own `failurePolicy: Fail` configuration before anything can answer it.

Metrics are plain HTTP from prometheus_client, or with AIRUNWAY_METRICS_SECURE HTTPS behind
TokenReview and SubjectAccessReview (`metrics_server`).
"""

from __future__ import annotations

import logging
from typing import Any

import kopf
import prometheus_client

from airunway_operator import kopf_tuning, metrics_server
from airunway_operator.context import OperatorContext

_log = logging.getLogger("airunway.startup")


@kopf.on.startup()
async def operator_configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    ours = ctx.settings
    # We post our own Events; kopf's per-handler "Handler succeeded" events would be noise.
    settings.posting.level = logging.WARNING
    settings.persistence.finalizer = "airunway.ai/kopf-finalizer"
    settings.watching.server_timeout = 1800
    kopf_tuning.tune(settings)
    # The last resort behind the bounded clean-up: kopf kills the process this long after SIGTERM.
    settings.process.ultimate_exiting_timeout = ours.shutdown_timeout_seconds
    if ours.metrics_port:
        try:
            await _serve_metrics(ctx)
        except OSError as err:
            # Retrying would not free the port; stop with a message naming the setting instead.
            raise kopf.PermanentError(
                f"metrics port {ours.metrics_host}:{ours.metrics_port} is unavailable ({err}); "
                "set AIRUNWAY_METRICS_PORT to a free port, or 0 to disable metrics"
            ) from err
    ctx.start()
    _log.info(
        "Operator configured",
        extra={
            "core": ours.core,
            "providers": [p.name for p in ctx.enabled_providers],
            "metrics_port": ours.metrics_port,
            "metrics_secure": ours.metrics_secure,
            "leader_elect": ours.leader_elect,
        },
    )


async def _serve_metrics(ctx: OperatorContext) -> None:
    ours = ctx.settings
    if not ours.metrics_secure:
        prometheus_client.start_http_server(
            ours.metrics_port, ours.metrics_host, registry=ctx.metrics.registry
        )
        return
    server = metrics_server.SecureMetricsServer(
        ctx.metrics.registry,
        metrics_server.Authorizer(ctx.api_client),
        ours.metrics_host,
        ours.metrics_port,
        metrics_server.server_ssl_context(ours.metrics_cert_dir, ours.metrics_host),
    )
    await server.start()
    ctx.metrics_server = server


@kopf.on.cleanup()
async def operator_stop(memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    await ctx.stop()
    if ctx.metrics_server is not None:
        await ctx.metrics_server.stop()
