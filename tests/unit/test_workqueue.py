"""The per-key work queue: coalescing, re-runs of dirty keys, retries with backoff, deadlines."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from airunway_operator.reconcile import workqueue
from airunway_operator.reconcile.workqueue import WorkQueue

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 0.4, 0.6), (2, 0.8, 1.2), (3, 1.6, 2.4), (10, 204.8, 300.0), (40, 240.0, 300.0)],
)
def test_backoff_doubles_from_half_a_second_up_to_five_minutes(failures: int, low: float, high: float):
    delays = [workqueue.backoff(failures) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jittered


def test_a_key_added_many_times_while_waiting_runs_once():
    seen: list[str] = []

    async def process(key: str) -> None:
        seen.append(key)

    async def main() -> None:
        queue: WorkQueue[str] = WorkQueue("t", process)
        for _ in range(5):
            queue.add("a")
        queue.add("b")
        queue.start()
        await queue.drained()
        await queue.stop()

    run(main())
    assert sorted(seen) == ["a", "b"]


def test_a_key_added_while_running_runs_again_afterwards_never_concurrently():
    running = 0
    most = 0
    runs = 0
    release = asyncio.Event

    async def main() -> None:
        gate = release()

        async def process(key: str) -> None:
            nonlocal running, most, runs
            running += 1
            most = max(most, running)
            runs += 1
            if runs == 1:
                await gate.wait()
            running -= 1

        queue: WorkQueue[str] = WorkQueue("t", process, workers=4)
        queue.start()
        queue.add("a")
        await asyncio.sleep(0.01)
        queue.add("a")
        queue.add("a")
        gate.set()
        await queue.drained()
        await queue.stop()

    run(main())
    assert (runs, most) == (2, 1)


def test_a_failed_pass_is_retried_with_backoff_until_it_succeeds_and_the_count_resets(
    caplog: pytest.LogCaptureFixture,
):
    attempts: list[float] = []

    async def main() -> WorkQueue[str]:
        loop = asyncio.get_running_loop()

        async def process(key: str) -> None:
            attempts.append(loop.time())
            if len(attempts) < 3:
                raise ConnectionRefusedError("connection refused")

        queue: WorkQueue[str] = WorkQueue("t", process, base_delay=0.05, max_delay=1)
        queue.start()
        queue.add("a")
        await queue.drained()
        await queue.stop()
        return queue

    with caplog.at_level(logging.WARNING, logger="airunway.workqueue"):
        queue = run(main())
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= 0.04
    assert attempts[2] - attempts[1] >= 0.08
    assert queue.failures("a") == 0
    transient = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(transient) == 2
    assert all(r.exc_info is None for r in transient)  # one line each, no traceback


def test_an_unexpected_error_logs_its_traceback_once_then_one_line_per_retry(
    caplog: pytest.LogCaptureFixture,
):
    attempts = 0

    async def main() -> None:
        async def process(key: str) -> None:
            nonlocal attempts
            attempts += 1
            if attempts < 4:
                raise ValueError("bad")

        queue: WorkQueue[str] = WorkQueue("t", process, base_delay=0.01, max_delay=0.05)
        queue.start()
        queue.add("a")
        await queue.drained()
        await queue.stop()

    with caplog.at_level(logging.ERROR, logger="airunway.workqueue"):
        run(main())
    assert attempts == 4
    assert sum(1 for r in caplog.records if r.exc_info) == 1


def test_new_work_during_a_backoff_runs_at_once():
    attempts: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        failed = asyncio.Event()

        async def process(key: str) -> None:
            attempts.append(loop.time())
            if len(attempts) == 1:
                failed.set()
                raise OSError("down")

        queue: WorkQueue[str] = WorkQueue("t", process, base_delay=30, max_delay=60)
        queue.start()
        queue.add("a")
        await failed.wait()
        await asyncio.sleep(0.05)
        queue.add("a")  # a watch event: newer state beats waiting out the backoff
        await queue.drained()
        await queue.stop()

    run(main())
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] < 5


def test_add_after_keeps_the_earliest_deadline_and_forget_cancels_it():
    seen: list[tuple[str, float]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def process(key: str) -> None:
            seen.append((key, loop.time() - start))

        queue: WorkQueue[str] = WorkQueue("t", process)
        queue.start()
        queue.add_after("a", 0.3)
        queue.add_after("a", 0.05)
        queue.add_after("a", 0.5)
        queue.add_after("b", 0.05)
        queue.forget("b")
        await queue.drained()
        await queue.stop()

    run(main())
    assert [k for k, _ in seen] == ["a"]
    assert seen[0][1] < 0.25


def test_work_added_before_start_waits_for_start():
    seen: list[str] = []

    async def main() -> None:
        async def process(key: str) -> None:
            seen.append(key)

        queue: WorkQueue[str] = WorkQueue("t", process)
        queue.add("early")
        await asyncio.sleep(0.05)
        assert seen == []
        queue.start()
        await queue.drained()
        await queue.stop()

    run(main())
    assert seen == ["early"]
