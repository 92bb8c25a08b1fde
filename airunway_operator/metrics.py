"""Prometheus metrics with upstream AI Runway's names and labels (SPEC-core §7.1), and their bookkeeping.

Gauges are sums over the ModelDeployments this process reconciles, kept by subtracting each
object's previous contribution before adding the new one. The in-memory per-object memory is
updated only after a reconcile finished without error, as upstream does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from airunway_operator.api.constants import Phase

ERROR_TYPES: Final = ("validation", "engine_selection", "provider_selection", "gateway")
_DURATION_BUCKETS: Final = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
_PHASES: Final = tuple(p.value for p in Phase)


@dataclass
class _Memory:
    provider: str = ""
    phase: str = ""
    replicas: tuple[int, int, int] = (0, 0, 0)
    deploying_since: float | None = None
    running_recorded: bool = False
    initialised: bool = False


class Metrics:
    """The eight airunway_* metrics on their own registry, plus per-ModelDeployment memory."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.reconcile_duration = Histogram(
            "airunway_reconciliation_duration_seconds",
            "Wall time of each reconcile",
            ["provider"],
            registry=r,
        )
        self.errors = Counter(
            "airunway_reconciliation_errors_total",
            "Reconcile errors by type",
            ["provider", "error_type"],
            registry=r,
        )
        self.selections = Counter(
            "airunway_provider_selection_total",
            "Providers recorded, manual or auto",
            ["provider", "reason"],
            registry=r,
        )
        self.replicas = Gauge(
            "airunway_deployment_replicas",
            "Sum of status.replicas by state",
            ["provider", "state"],
            registry=r,
        )
        self.status = Gauge(
            "airunway_deployment_status", "ModelDeployments per phase", ["provider", "phase"], registry=r
        )
        self.transitions = Counter(
            "airunway_deployment_phase_transitions_total",
            "Observed phase transitions",
            ["provider", "from_phase", "to_phase"],
            registry=r,
        )
        self.ready_duration = Histogram(
            "airunway_deployment_ready_duration_seconds",
            "Creation to first Running",
            ["provider"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.provision_duration = Histogram(
            "airunway_deployment_provision_duration_seconds",
            "Deploying to Running",
            ["provider"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self._memory: dict[str, _Memory] = {}

    def _precreate(self, provider: str) -> None:
        self.reconcile_duration.labels(provider)
        self.ready_duration.labels(provider)
        self.provision_duration.labels(provider)
        for error in ERROR_TYPES:
            self.errors.labels(provider, error)
        for reason in ("manual", "auto"):
            self.selections.labels(provider, reason)
        for before in _PHASES:
            for after in _PHASES:
                if before != after:
                    self.transitions.labels(provider, before, after)

    def error(self, provider: str | None, error_type: str) -> None:
        if provider:
            self.errors.labels(provider, error_type).inc()

    def observe(
        self,
        key: str,
        *,
        provider: str,
        selected_reason: str,
        phase: str,
        replicas: tuple[int, int, int],
        created: float | None,
        now: float | None = None,
    ) -> None:
        """Fold one successfully reconciled object into the gauges, counters and histograms."""
        now = time.time() if now is None else now
        memory = self._memory.setdefault(key, _Memory())
        if provider and not memory.initialised:
            self._precreate(provider)
            memory.initialised = True
        if provider and not memory.provider:
            reason = "manual" if selected_reason == "explicit provider selection" else "auto"
            self.selections.labels(provider, reason).inc()
        self._move_gauges(memory, provider, phase, replicas)
        self._phase_change(memory, provider, phase, created, now)
        memory.provider, memory.phase, memory.replicas = provider, phase, replicas

    def _move_gauges(
        self, memory: _Memory, provider: str, phase: str, replicas: tuple[int, int, int]
    ) -> None:
        if memory.phase or memory.provider:
            self.status.labels(memory.provider, memory.phase).dec()
        self.status.labels(provider, phase).inc()
        for state, before, after in zip(
            ("desired", "ready", "available"), memory.replicas, replicas, strict=True
        ):
            if memory.provider:
                self.replicas.labels(memory.provider, state).dec(before)
            if provider:
                self.replicas.labels(provider, state).inc(after)

    def _phase_change(
        self, memory: _Memory, provider: str, phase: str, created: float | None, now: float
    ) -> None:
        if provider and memory.phase and phase and memory.phase != phase:
            self.transitions.labels(provider, memory.phase, phase).inc()
        if phase == Phase.DEPLOYING.value and memory.phase != Phase.DEPLOYING.value:
            memory.deploying_since = now
        if phase != Phase.RUNNING.value:
            memory.running_recorded = False
            return
        if provider and memory.phase and memory.phase != phase and not memory.running_recorded:
            if created is not None:
                self.ready_duration.labels(provider).observe(max(0.0, now - created))
            if memory.deploying_since is not None:
                self.provision_duration.labels(provider).observe(max(0.0, now - memory.deploying_since))
            memory.running_recorded = True

    def forget(self, key: str) -> None:
        """The object is gone: take its contribution out of the gauges."""
        memory = self._memory.pop(key, None)
        if memory is None:
            return
        if memory.phase or memory.provider:
            self.status.labels(memory.provider, memory.phase).dec()
        if memory.provider:
            for state, before in zip(("desired", "ready", "available"), memory.replicas, strict=True):
                self.replicas.labels(memory.provider, state).dec(before)
