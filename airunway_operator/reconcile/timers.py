"""One pending wake-up per object, and background tasks kept referenced until they finish.

Shared by the core and the provider runtime, which both re-run an object at a finalizer deadline
and start reconciles from places that cannot await them (timers, fan-out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class KeyedTimers:
    def __init__(self) -> None:
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def wake_at(self, key: str, delay: float | None, callback: Callable[[str], None]) -> None:
        """Call `callback(key)` after `delay` seconds, replacing any earlier wake-up of `key`;
        None only cancels."""
        self.cancel(key)
        if delay is not None:
            self._timers[key] = asyncio.get_running_loop().call_later(max(delay, 0.0), callback, key)

    def cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background; the task is held so it is not garbage-collected early."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
