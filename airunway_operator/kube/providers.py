"""Look up one InferenceProviderConfig: the operator's watch cache first, then the API server.

A cache miss is re-read from the API server so a provider registered a moment ago is found even
before its watch event arrives. The outcome is a value of `validation.lookup`, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from pydantic import ValidationError
from urllib3.exceptions import HTTPError

from airunway_operator.api import constants, providerconfig
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.kube import errors
from airunway_operator.kube.client import call
from airunway_operator.validation import lookup


def _found(body: Mapping[str, Any]) -> lookup.ProviderLookup:
    try:
        return lookup.Found(providerconfig.parse(body))
    except ValidationError as err:
        return lookup.Unavailable(f"InferenceProviderConfig is malformed: {err.error_count()} problem(s)")


async def find(
    name: str, cached: InferenceProviderConfig | None, api_client: client.ApiClient
) -> lookup.ProviderLookup:
    if cached is not None:
        return lookup.Found(cached)
    api = client.CustomObjectsApi(api_client)
    try:
        body = await call(
            api.get_cluster_custom_object,
            constants.GROUP,
            constants.VERSION,
            constants.PROVIDERCONFIG_PLURAL,
            name,
            _request_timeout=3,
        )
    except ApiException as err:
        if errors.is_object_missing(err):
            return lookup.NotFound()
        if errors.is_kind_missing(err):
            return lookup.NotInstalled()
        if errors.is_forbidden(err):
            return lookup.Forbidden()
        return lookup.Unavailable(f"API server answered {err.status} {err.reason}")
    except (HTTPError, OSError) as err:
        return lookup.Unavailable(f"API server unreachable: {type(err).__name__}")
    return _found(body)
