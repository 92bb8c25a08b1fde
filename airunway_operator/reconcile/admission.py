"""Review one ModelDeployment admission request: look up what the rules need, then decide purely."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubernetes import client

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.kube import providers
from airunway_operator.validation import admission, lookup
from airunway_operator.validation.result import Verdict


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
    if old is None:
        return admission.validate_create(body, provider)
    return admission.validate_update(body, old, provider)
