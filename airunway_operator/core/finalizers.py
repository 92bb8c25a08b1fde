"""Which finalizers the core releases on deletion, and when (bounded; never blocks forever).

The core's own finalizer goes as soon as its clean-up is done. A provider's finalizer
(`airunway.ai/<provider>-provider`) is the provider's business while that provider runs; when its
InferenceProviderConfig is gone or not ready, the core removes the finalizer once the timeout since
`deletionTimestamp` has passed, with a Warning Event, so deletion always completes. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core.events import Event

CORE: Final = "airunway.ai/core"
_PROVIDER_FINALIZER: Final = re.compile(r"^airunway\.ai/(?P<provider>[a-z0-9.-]+)-provider$")


@dataclass(frozen=True)
class ReleasePlan:
    """Finalizers to keep, Events to post, and when to look again (seconds), if ever."""

    keep: tuple[str, ...]
    events: tuple[Event, ...] = ()
    wake_after: float | None = None


def _is_running(provider: str, configs: Sequence[InferenceProviderConfig]) -> bool:
    config = next((c for c in configs if c.metadata.name == provider), None)
    return config is not None and config.status is not None and bool(config.status.ready)


def plan_release(
    present: Sequence[str], configs: Sequence[InferenceProviderConfig], elapsed: float, timeout: float
) -> ReleasePlan:
    keep: list[str] = []
    events: list[Event] = []
    wake_after: float | None = None
    for finalizer in present:
        if finalizer == CORE:
            events.append(Event("Normal", "Deleted", "Core controller finished its clean-up"))
            continue
        match = _PROVIDER_FINALIZER.match(finalizer)
        if match is None or _is_running(match["provider"], configs):
            keep.append(finalizer)
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
