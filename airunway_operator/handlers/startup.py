"""Start-up and clean-up: kopf's settings, the metrics endpoint, and the operator context's queues.

The context (`memo.context`, built by the runner) owns every controller; its queues start only once
this process's webhook serves, so no write of ours meets our own `failurePolicy: Fail`
configuration before anything can answer it.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf
import prometheus_client

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
    # The last resort behind the bounded clean-up: kopf kills the process this long after SIGTERM.
    settings.process.ultimate_exiting_timeout = ours.shutdown_timeout_seconds
    if ours.metrics_port:
        try:
            prometheus_client.start_http_server(
                ours.metrics_port, ours.metrics_host, registry=ctx.metrics.registry
            )
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
        },
    )


@kopf.on.cleanup()
async def operator_stop(memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    await ctx.stop()
