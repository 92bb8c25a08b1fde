"""Construct the Kubernetes API client: in-cluster service account first, else the kubeconfig.

The client is synchronous; async callers go through `call()`, which runs it in a worker thread
so the event loop (watches, the admission webhook) never blocks on the network.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from kubernetes import client, config

from airunway_operator import version

T = TypeVar("T")


def new_api_client() -> client.ApiClient:
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
        api_client = client.ApiClient(configuration)
    except config.ConfigException:
        api_client = config.new_client_from_config()
    api_client.user_agent = f"airunway-operator/{version.VERSION}"
    return api_client


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one blocking client call in a worker thread."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
