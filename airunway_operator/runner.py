"""Start kopf with our settings and handlers; returns when the operator has stopped (SIGTERM/SIGINT)."""

from __future__ import annotations

import kopf

import providers
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
    from airunway_operator.handlers import modeldeployment, providerconfig, startup, targets  # noqa: F401

    enabled = select_providers(settings.providers, providers.load_providers())
    targets.register(enabled)

    if settings.core:
        from airunway_operator.handlers import migration  # noqa: F401

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
        memo=kopf.Memo(settings=settings, api_client=client.new_api_client(), enabled_providers=enabled),
    )
