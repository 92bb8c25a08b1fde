"""What a provider pass means for the ModelDeployment's status (SPEC-providers §1.4, §1.5, §1.7). Pure.

The runtime records each step's result in an `Outcome`; `status_fields` turns it into the fields
the provider owns (phase, message, replicas, endpoint, provider.resourceName/Kind, image and its
conditions), merged into the observed conditions so the core's conditions stay untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from airunway_operator.api import conditions as cond
from airunway_operator.api.constants import Phase
from airunway_operator.core.events import Event
from airunway_operator.status import conditions
from providers.base import ConditionUpdate, PreStep, ProviderStatus


@dataclass(frozen=True)
class Outcome:
    conditions: tuple[ConditionUpdate, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    skip: bool = False
    #: Why the pass must run again even after its status is written (a failed or refused write).
    retry: str | None = None

    def _with(self, *updates: ConditionUpdate, **fields: Any) -> Outcome:
        return replace(self, conditions=(*self.conditions, *updates), fields={**self.fields, **fields})

    def _failed(
        self, type_: str, reason: str, message: str, ready_reason: str = cond.DEPLOYMENT_FAILED
    ) -> Outcome:
        return self._with(
            ConditionUpdate(type_, "False", reason, message),
            ConditionUpdate(cond.READY, "False", ready_reason, message),
            phase=Phase.FAILED.value,
            message=message,
        )

    def incompatible(self, message: str) -> Outcome:
        return self._failed(cond.PROVIDER_COMPATIBLE, "IncompatibleConfiguration", message)

    def compatible(self, display_name: str) -> Outcome:
        message = f"Configuration compatible with {display_name}"
        return self._with(ConditionUpdate(cond.PROVIDER_COMPATIBLE, "True", "CompatibilityVerified", message))

    def with_pre_step(self, pre: PreStep) -> Outcome:
        updated = self._with(*pre.conditions, **dict(pre.status))
        return updated.retry_because(pre.retry) if pre.retry else updated

    def failed_pre_step(self, message: str) -> Outcome:
        return self._with(
            ConditionUpdate(cond.READY, "False", cond.DEPLOYMENT_FAILED, message),
            phase=Phase.FAILED.value,
            message=message,
        )

    def with_storage(self, *updates: ConditionUpdate) -> Outcome:
        """`StorageReady` / `ModelDownloaded` as the shared storage pipeline decided them."""
        return self._with(*updates)

    def storage_stopped(self, phase: Phase, message: str) -> Outcome:
        """The storage pipeline ends the pass before render: Pending while claims bind or the
        model downloads, Failed when they cannot; `Ready` says the same."""
        reason = cond.DEPLOYMENT_FAILED if phase is Phase.FAILED else cond.DEPLOYMENT_IN_PROGRESS
        return self._with(
            ConditionUpdate(cond.READY, "False", reason, message), phase=phase.value, message=message
        )

    def render_failed(self, kind: str, error: str) -> Outcome:
        return self._failed(
            cond.RESOURCE_CREATED, "TransformFailed", f"Failed to generate {kind} resources: {error}"
        )

    def conflict(self, message: str) -> Outcome:
        return self._failed(
            cond.RESOURCE_CREATED, "ResourceConflict", message, ready_reason="ResourceConflict"
        )

    def write_conflict(self, message: str) -> Outcome:
        """A 409 writing a target (Dynamo): `ResourceCreated=False ResourceConflict`, phase kept."""
        return self._with(ConditionUpdate(cond.RESOURCE_CREATED, "False", "ResourceConflict", message))

    def create_failed(self, message: str) -> Outcome:
        return self._failed(cond.RESOURCE_CREATED, "CreateFailed", message)

    def upstream_unhealthy(self, reason: str, message: str) -> Outcome:
        """The upstream controller cannot act: say so in Ready, keep the phase, render nothing."""
        return replace(
            self._with(ConditionUpdate(cond.READY, "False", reason, message)),
            events=(*self.events, Event("Warning", reason, message)),
        )

    def unchanged(self) -> Outcome:
        return replace(self, skip=True)

    def retry_because(self, reason: str) -> Outcome:
        return replace(self, retry=reason)

    def created(self, name: str, kind: str, mapped: ProviderStatus, pod_problem: str = "") -> Outcome:
        """The targets exist: fold the mapped status in. `pod_problem` (core/pod_diagnosis.py) says
        why the pods do not serve; it becomes the message of a phase that is not Running (after a
        provider's own failure message, which keeps `status.message`)."""
        kind_text = "Deployments" if kind == "Deployment" else kind
        phase, message = mapped.phase, mapped.message
        if phase not in (Phase.RUNNING, Phase.FAILED):
            phase, message = Phase.DEPLOYING, message or f"{kind_text} created, waiting for pods to be ready"
        elif phase is Phase.RUNNING and not message:
            message = f"{kind_text} created, pods are ready"
        ready_message = message
        if pod_problem and phase is not Phase.RUNNING:
            if phase is Phase.FAILED and message:
                ready_message = f"{message}{' ' if message.endswith('.') else '; '}{pod_problem}"
            else:
                message = ready_message = pod_problem
        ready = {
            Phase.RUNNING: ConditionUpdate(
                cond.READY, "True", cond.DEPLOYMENT_READY, "All replicas are ready"
            ),
            Phase.FAILED: ConditionUpdate(cond.READY, "False", cond.DEPLOYMENT_FAILED, ready_message),
        }.get(phase, ConditionUpdate(cond.READY, "False", cond.DEPLOYMENT_IN_PROGRESS, ready_message))
        replicas = None
        if mapped.desired is not None or mapped.ready is not None or mapped.available is not None:
            replicas = {
                "desired": mapped.desired or 0,
                "ready": mapped.ready or 0,
                "available": mapped.available or 0,
            }
        endpoint = None
        if mapped.endpoint_service:
            endpoint = {"service": mapped.endpoint_service, "port": mapped.endpoint_port}
        return self._with(
            ConditionUpdate(cond.RESOURCE_CREATED, "True", "ResourceCreated", f"{kind} {name} created"),
            *mapped.conditions,
            ready,
            phase=phase.value,
            message=message,
            replicas=replicas,
            endpoint=endpoint,
            provider={"resourceName": name, "resourceKind": kind},
        )

    def status_fields(
        self, observed: Mapping[str, Any], generation: int | None, now: datetime
    ) -> dict[str, Any]:
        """The desired provider-owned status fields (None deletes); empty when the pass changes nothing."""
        if self.skip:
            return {}
        merged = [dict(c) for c in observed.get("conditions") or ()]
        for update in self.conditions:
            merged = conditions.set_condition(
                merged,
                update.type,
                update.status,
                update.reason,
                update.message,
                generation=generation,
                now=now,
            )
        return {**self.fields, "conditions": merged}
