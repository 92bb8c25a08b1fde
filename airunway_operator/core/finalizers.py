"""Which finalizers the core releases on deletion, and when (bounded; never blocks forever).

The core's own finalizer goes as soon as its clean-up is done. A provider's finalizer
(`airunway.ai/<provider>-provider`) is the provider's business while that provider runs; when its
InferenceProviderConfig is gone, not ready, or its heartbeat is older than `STALE_AFTER` (the
provider process died without saying so; upstream's staleness rule), the core removes the
finalizer once the timeout since `deletionTimestamp` has passed, with a Warning Event, so deletion
always completes. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core.events import Event

CORE: Final = "airunway.ai/core"
#: A provider whose `status.lastHeartbeat` is older than this is not running (upstream: 180 s).
STALE_AFTER: Final = 180.0
_PROVIDER_FINALIZER: Final = re.compile(r"^airunway\.ai/(?P<provider>[a-z0-9.-]+)-provider$")


@dataclass(frozen=True)
class ReleasePlan:
    """Finalizers to keep, Events to post, and when to look again (seconds), if ever."""

    keep: tuple[str, ...]
    events: tuple[Event, ...] = ()
    wake_after: float | None = None


def _fresh_for(
    provider: str, configs: Sequence[InferenceProviderConfig], now: datetime | None
) -> float | None:
    """Seconds the provider still counts as running (ready, heartbeat not stale), or None if it
    does not. Without `now` or a heartbeat, readiness alone decides (forever)."""
    config = next((c for c in configs if c.metadata.name == provider), None)
    if config is None or config.status is None or not config.status.ready:
        return None
    beat = config.status.last_heartbeat
    if now is None or beat is None:
        return float("inf")
    left = STALE_AFTER - (now - beat).total_seconds()
    return left if left > 0 else None


def plan_release(
    present: Sequence[str],
    configs: Sequence[InferenceProviderConfig],
    elapsed: float,
    timeout: float,
    now: datetime | None = None,
) -> ReleasePlan:
    keep: list[str] = []
    events: list[Event] = []
    wake_after: float | None = None
    for finalizer in present:
        if finalizer == CORE:
            events.append(Event("Normal", "Deleted", "Core controller finished its clean-up"))
            continue
        match = _PROVIDER_FINALIZER.match(finalizer)
        fresh = None if match is None else _fresh_for(match["provider"], configs, now)
        if match is None or fresh is not None:
            keep.append(finalizer)
            if fresh is not None and fresh != float("inf"):
                # Look again when the heartbeat would go stale (no event says a process died).
                wake = max(fresh, timeout - elapsed)
                wake_after = wake if wake_after is None else min(wake_after, wake)
            continue
        if elapsed >= timeout:
            message = (
                f"Removed finalizer {finalizer} after {elapsed:.0f}s: provider {match['provider']!r} is not "
                "running, so nothing else would release it"
            )
            events.append(Event("Warning", "FinalizerTimeout", message))
            continue
        keep.append(finalizer)
        wake_after = timeout - elapsed if wake_after is None else min(wake_after, timeout - elapsed)
    return ReleasePlan(tuple(keep), tuple(events), wake_after)
