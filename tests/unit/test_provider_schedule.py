"""A target event that arrives while the core's decision is still being continued into the
provider's pass (so the object does not name the provider yet) must not be dropped."""

from __future__ import annotations

import asyncio
from typing import Any

import providers
from airunway_operator.reconcile.cache import ObjectCache
from airunway_operator.reconcile.provider import ProviderRuntime


def _runtime(cache: ObjectCache) -> ProviderRuntime:
    vllm = next(p for p in providers.load_providers() if p.name == "vllm")
    return ProviderRuntime(vllm, None, cache, lambda body, event: None, version="test", settings={})


def _md(provider: str | None) -> dict[str, Any]:
    status = {"provider": {"name": provider}} if provider else {}
    return {"metadata": {"namespace": "ns", "name": "m", "resourceVersion": "1"}, "status": status}


def test_events_of_an_unclaimed_object_are_dropped_when_no_pass_runs() -> None:
    cache = ObjectCache()
    cache.store(_md(None))
    runtime = _runtime(cache)
    runtime.schedule("ns/m")
    assert runtime.queue.pending() == 0
    cache.store({**_md("vllm"), "metadata": {**_md(None)["metadata"], "resourceVersion": "2"}})
    runtime.schedule("ns/m")
    assert runtime.queue.pending() == 1


def test_events_during_a_running_pass_are_queued_for_the_pass_after_it() -> None:
    async def scenario() -> int:
        cache = ObjectCache()
        cache.store(_md(None))
        runtime = _runtime(cache)
        async with cache.lock("ns/m"):
            runtime.schedule("ns/m")
        return runtime.queue.pending()

    assert asyncio.run(scenario()) == 1
