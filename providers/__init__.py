"""Inference providers as plug-ins: each is data (its InferenceProviderConfig) plus pure functions.

`REGISTRY` is the explicit tuple of the built-in providers; third parties register theirs through
the `airunway.providers` entry-point group, and `load_providers()` returns both.
"""

from __future__ import annotations

from importlib import metadata
from typing import Final

from providers import dynamo, kaito, kuberay, llmd, vllm
from providers.base import Provider

ENTRY_POINT_GROUP: Final = "airunway.providers"

#: The built-in providers, in SPEC-providers order (kaito, dynamo, kuberay, llmd, vllm). Each
#: package exposes `PROVIDER`; add the others here as they land.
REGISTRY: Final[tuple[Provider, ...]] = (
    kaito.PROVIDER,
    dynamo.PROVIDER,
    kuberay.PROVIDER,
    llmd.PROVIDER,
    vllm.PROVIDER,
)


def load_providers() -> tuple[Provider, ...]:
    """REGISTRY, then every `airunway.providers` entry point (sorted by entry-point name).

    Raises TypeError when an entry point is not a `Provider`, and ValueError when two providers
    share a name (a plug-in cannot silently replace a built-in)."""
    providers = list(REGISTRY)
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        provider = entry.load()
        if not isinstance(provider, Provider):
            raise TypeError(
                f"entry point {entry.name!r} ({entry.value}) in group {ENTRY_POINT_GROUP} is "
                f"{type(provider).__name__}, not a providers.base.Provider"
            )
        providers.append(provider)
    names = [provider.name for provider in providers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"provider names registered more than once: {', '.join(duplicates)}")
    return tuple(providers)
