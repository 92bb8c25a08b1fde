"""A per-key work queue: coalescing, rate-limited exponential backoff with jitter, a fixed worker pool.

Every controller in the operator (the core, each provider runtime, provider registration, the
InferenceProviderConfig status writer, the legacy migration) owns one. Work is a key, never a
body: the worker re-reads the latest cached body when it runs, so a retry always starts from the
newest state (level-triggered), and a key added many times while it waits runs once.

* `add(key)` — run soon. A key already waiting is not queued twice; a key being processed is
  marked dirty and runs again right after the current pass.
* `add_after(key, delay)` — run at a deadline (finalizer timeouts); the earliest deadline wins.
* A pass that raises is retried after `min(cap, base * 2**failures)` seconds with ±20 % jitter
  (0.5 s, 1 s, 2 s, ... up to 5 min) and logged as one line; a pass that succeeds resets the key's
  failure count. A newer `add` while a retry waits runs at once (new information beats backoff).

When nothing changes nothing runs: there is no periodic resync.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Hashable
from typing import Final, Generic, TypeVar

from kubernetes.client.rest import ApiException

from airunway_operator import logs
from airunway_operator.kube import errors

K = TypeVar("K", bound=Hashable)
logger = logging.getLogger("airunway.workqueue")

BASE_DELAY: Final = 0.5
MAX_DELAY: Final = 300.0
JITTER: Final = 0.2


class RetryError(Exception):
    """A pass failed for a reason it has already reported (in status or an Event); retry it."""


def backoff(
    failures: int, *, base: float = BASE_DELAY, cap: float = MAX_DELAY, jitter: float = JITTER
) -> float:
    """Delay before retry number `failures` (1-based): exponential, capped, with symmetric jitter."""
    delay = min(cap, base * 2 ** max(failures - 1, 0))
    return float(min(cap, delay * random.uniform(1 - jitter, 1 + jitter)))


class WorkQueue(Generic[K]):
    def __init__(
        self,
        name: str,
        process: Callable[[K], Awaitable[None]],
        *,
        workers: int = 8,
        base_delay: float = BASE_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self.name = name
        self._process = process
        self._workers = workers
        self._base = base_delay
        self._cap = max_delay
        self._ready: asyncio.Queue[K] | None = None
        self._queued: set[K] = set()
        self._active: set[K] = set()
        self._dirty: set[K] = set()
        self._failures: dict[K, int] = {}
        self._timers: dict[K, tuple[float, asyncio.TimerHandle]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        self._idle.set()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._tasks:
            return
        self._ready = asyncio.Queue()
        for key in self._queued:
            self._ready.put_nowait(key)
        self._tasks = [
            asyncio.get_running_loop().create_task(self._worker(), name=f"{self.name}-worker-{i}")
            for i in range(self._workers)
        ]

    async def stop(self) -> None:
        """Cancel the workers and pending timers; work in progress is abandoned (it is retried by
        the next process from the API server's state)."""
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # ------------------------------------------------------------------ adding work

    def add(self, key: K) -> None:
        self._cancel_timer(key)
        if key in self._active:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._idle.clear()
        if self._ready is not None:
            self._ready.put_nowait(key)

    def add_after(self, key: K, delay: float) -> None:
        """Run `key` after `delay` seconds unless it is due earlier already."""
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        current = self._timers.get(key)
        if current is not None and current[0] <= due:
            return
        self._cancel_timer(key)
        self._timers[key] = (due, loop.call_at(due, self._fire, key))
        self._idle.clear()

    def forget(self, key: K) -> None:
        """Drop the failures, timers and pending re-runs of `key` (the object is gone); a run already
        queued still happens and finds nothing to do."""
        self._cancel_timer(key)
        self._failures.pop(key, None)
        self._dirty.discard(key)
        self._update_idle()

    def failures(self, key: K) -> int:
        return self._failures.get(key, 0)

    def pending(self) -> int:
        return len(self._queued) + len(self._active) + len(self._timers)

    async def drained(self) -> None:
        """Wait until nothing is queued, running or scheduled (tests and benchmarks)."""
        await self._idle.wait()

    # ------------------------------------------------------------------ internals

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def _cancel_timer(self, key: K) -> None:
        entry = self._timers.pop(key, None)
        if entry is not None:
            entry[1].cancel()

    def _update_idle(self) -> None:
        if not (self._queued or self._active or self._timers):
            self._idle.set()

    async def _worker(self) -> None:
        assert self._ready is not None
        while True:
            key = await self._ready.get()
            if key not in self._queued:
                continue  # forgotten while waiting
            self._queued.discard(key)
            self._active.add(key)
            try:
                await self._run(key)
            finally:
                self._active.discard(key)
                if key in self._dirty:
                    self._dirty.discard(key)
                    self.add(key)
                self._update_idle()

    async def _run(self, key: K) -> None:
        try:
            await self._process(key)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            delay = backoff(failures, base=self._base, cap=self._cap)
            self._dirty.discard(key)  # the retry re-reads the latest state anyway
            self.add_after(key, delay)
            if logs.is_transient(err) or isinstance(err, (ApiException, RetryError)):
                logger.warning(f"{self.name} {key}: {_one_line(err)}; retry {failures} in {delay:.1f}s")
            else:
                logger.error(
                    f"{self.name} {key} failed; retry {failures} in {delay:.1f}s", exc_info=failures == 1
                )
                if failures > 1:
                    logger.error(f"{self.name} {key}: {_one_line(err)}")
        else:
            self._failures.pop(key, None)


def _one_line(err: BaseException) -> str:
    if isinstance(err, ApiException):
        return f"API server answered {errors.message(err)}"
    return logs.describe(err)
