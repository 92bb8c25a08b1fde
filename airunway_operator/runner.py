"""Start kopf with our settings and handlers; returns when the operator has stopped (SIGTERM/SIGINT,
or a lost leader Lease)."""

from __future__ import annotations

import logging
from typing import Any

import kopf

import providers
from airunway_operator import logs
from airunway_operator.context import OperatorContext
from airunway_operator.kube import client
from airunway_operator.settings import Settings
from providers.base import Provider


class UnknownProviderError(ValueError):
    """--providers named a provider that is not installed."""


def validate_choice(choice: str) -> None:
    select_providers(choice, providers.load_providers())


def select_providers(choice: str, available: tuple[Provider, ...]) -> tuple[Provider, ...]:
    """`all`, `none`/empty, or a comma-separated list of names (each must exist)."""
    choice = choice.strip()
    if choice == "all":
        return available
    if choice in ("", "none"):
        return ()
    names = [n.strip() for n in choice.split(",") if n.strip()]
    by_name = {p.name: p for p in available}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise UnknownProviderError(
            f"--providers names unknown provider(s) {', '.join(unknown)}; installed: {known}"
        )
    return tuple(by_name[n] for n in names)


class CredentialsError(RuntimeError):
    """Neither an in-cluster service account nor a kubeconfig could be loaded."""


def connect() -> Any:
    """The API client, or CredentialsError with a message saying what to set."""
    from kubernetes.config import ConfigException

    try:
        return client.new_api_client()
    except (ConfigException, OSError) as err:
        raise CredentialsError(
            f"cannot load cluster credentials ({err}); run in a pod or set KUBECONFIG "
            "(for the local plane: export KUBECONFIG=$PWD/.testenv/kubeconfig)"
        ) from err


def run(
    api_client: Any,
    settings: Settings,
    *,
    namespaces: tuple[str, ...] = (),
    verbose: bool = False,
    debug: bool = False,
    quiet: bool = False,
) -> int:
    """Run every handler in one process; watch `namespaces` or, when empty, the whole cluster.

    Returns the exit code: 1 when the process stopped because it lost the leader Lease."""
    # Importing the handler modules registers them with kopf's default registry.
    from airunway_operator.handlers import modeldeployment, providerconfig, startup, targets  # noqa: F401

    enabled = select_providers(settings.providers, providers.load_providers())
    targets.register(enabled)
    if settings.core and settings.gateway_enabled:
        from airunway_operator.handlers import gateway

        gateway.register()

    if settings.webhook_enabled:
        from airunway_operator.handlers import admission, webhook  # noqa: F401

    log_format = {"json": kopf.LogFormat.JSON, "full": kopf.LogFormat.FULL}.get(
        settings.log_format, kopf.LogFormat.PLAIN
    )
    kopf.configure(debug=debug, verbose=verbose, quiet=quiet, log_format=log_format)
    logs.install_transient_error_filter()
    if not (debug or verbose):
        # kopf reports every handler run at INFO ("Handler ... succeeded"); with one handler run
        # per watch event that drowns what matters. Our own messages stay at INFO.
        for name in ("kopf.objects", "kopf.activities", "aiohttp.access"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if not quiet:
        logging.getLogger("airunway").setLevel(logging.DEBUG if debug else logging.INFO)
    context = OperatorContext.build(settings, api_client, enabled)
    context.namespaces = tuple(namespaces)
    context.watches = targets.lean_watches(context, client.separate_client(api_client))
    kopf.run(
        standalone=True,
        clusterwide=not namespaces,
        namespaces=namespaces,
        liveness_endpoint=f"http://{settings.health_host}:{settings.health_port}/healthz",
        memo=kopf.Memo(context=context),
        stop_flag=context.stop_flag,
    )
    return 1 if context.lost_leadership else 0
