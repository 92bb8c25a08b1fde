"""Start kopf with our settings and handlers; returns when the operator has stopped (SIGTERM/SIGINT)."""

from __future__ import annotations

import kopf

from airunway_operator.kube import client
from airunway_operator.settings import Settings


def run(
    settings: Settings,
    *,
    namespaces: tuple[str, ...] = (),
    verbose: bool = False,
    debug: bool = False,
    quiet: bool = False,
) -> None:
    """Run every handler in one process; watch `namespaces` or, when empty, the whole cluster."""
    # Importing the handler modules registers them with kopf's default registry.
    from airunway_operator.handlers import modeldeployment, providerconfig, startup  # noqa: F401

    if settings.webhook_enabled:
        from airunway_operator.handlers import admission  # noqa: F401

    log_format = {"json": kopf.LogFormat.JSON, "full": kopf.LogFormat.FULL}.get(
        settings.log_format, kopf.LogFormat.PLAIN
    )
    kopf.configure(debug=debug, verbose=verbose, quiet=quiet, log_format=log_format)
    kopf.run(
        standalone=True,
        clusterwide=not namespaces,
        namespaces=namespaces,
        liveness_endpoint=f"http://{settings.health_host}:{settings.health_port}/healthz",
        memo=kopf.Memo(settings=settings, api_client=client.new_api_client()),
    )
