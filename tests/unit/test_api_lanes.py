"""API calls run on two lanes of threads: requests the API server may hold for long (`call_aside`)
never take the threads the other writes need."""

from __future__ import annotations

import asyncio
import threading

from airunway_operator.kube import client


def _thread_name() -> str:
    return threading.current_thread().name


def test_calls_and_aside_calls_run_on_their_own_threads() -> None:
    async def both() -> tuple[str, str]:
        return await client.call(_thread_name), await client.call_aside(_thread_name)

    plain, aside = asyncio.run(both())
    assert plain.startswith("kube-api-")
    assert not plain.startswith("kube-api-aside")
    assert aside.startswith("kube-api-aside-")


def test_aside_calls_held_by_the_api_server_leave_the_other_lane_free() -> None:
    release = threading.Event()

    async def scenario() -> str:
        held = [
            asyncio.ensure_future(client.call_aside(release.wait, 10))
            for _ in range(client.ASIDE_WORKERS * 2)
        ]
        await asyncio.sleep(0.05)
        answered = await asyncio.wait_for(client.call(_thread_name), 2)
        release.set()
        await asyncio.gather(*held)
        return answered

    # More held requests than the plain lane has threads: one shared pool would be exhausted.
    assert not asyncio.run(scenario()).startswith("kube-api-aside")
