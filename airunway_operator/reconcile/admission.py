"""Review one ModelDeployment admission request: look up what the rules need, then decide purely.

`review_cached` answers at once from the watch cache; it returns None only when the named
InferenceProviderConfig is not cached, and `review_modeldeployment` then reads it from the API server.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes import client

import providers as provider_plugins
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.kube import providers
from airunway_operator.validation import admission, lookup
from airunway_operator.validation.result import Verdict
from providers.base import Provider

_log = logging.getLogger("airunway.admission")


async def review_modeldeployment(
    body: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    cached_provider: Callable[[str], InferenceProviderConfig | None],
    api_client: client.ApiClient,
) -> Verdict:
    name = admission.provider_to_look_up(body)
    provider: lookup.ProviderLookup = lookup.NOT_LOOKED_UP
    if name is not None:
        provider = await providers.find(name, cached_provider(name), api_client)
    return _decide(body, old, provider)


def review_cached(
    body: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    cached_provider: Callable[[str], InferenceProviderConfig | None],
) -> Verdict | None:
    """The verdict without any API read, or None when the provider to look up is not cached."""
    name = admission.provider_to_look_up(body)
    provider: lookup.ProviderLookup = lookup.NOT_LOOKED_UP
    if name is not None:
        cached = cached_provider(name)
        if cached is None:
            return None
        provider = lookup.Found(cached)
    return _decide(body, old, provider)


def _decide(
    body: Mapping[str, Any], old: Mapping[str, Any] | None, provider: lookup.ProviderLookup
) -> Verdict:
    warnings = provider_warnings(admission.explicit_provider(body))
    if old is None:
        return admission.validate_create(body, provider, warnings)
    return admission.validate_update(body, old, provider, warnings)


def provider_warnings(name: str | None) -> admission.ProviderWarnings | None:
    """The admission warnings of the installed provider plug-in called `name`, if there is one.

    Every installed plug-in counts, also one this process does not run (`--providers`): the
    warnings describe what that provider does with a deployment, wherever it runs."""
    plugin = installed_providers().get(name) if name else None
    return plugin.admission_warnings if plugin is not None else None


@functools.cache
def installed_providers() -> Mapping[str, Provider]:
    """Built-in and entry-point providers by name, loaded once per process."""
    try:
        found = provider_plugins.load_providers()
    except Exception as error:  # a broken plug-in (start-up reports it too) must not stop admission
        _log.warning("Provider plug-ins could not be loaded; using the built-ins: %s", error)
        found = provider_plugins.REGISTRY
    return {plugin.name: plugin for plugin in found}
