"""One pass of the core controller over a ModelDeployment (SPEC-core §3.2 steps 4-13), decided purely.

Given the object, its observed status and the known InferenceProviderConfigs, return the status
fields the core owns (observedGeneration, phase while no provider has taken over, message,
engine, provider, the core's conditions and a `Ready` condition until a provider sets one), the
Events for the transitions, and the error type for metrics. The caller writes only what differs.

Where we differ from upstream, deliberately: stale core failure messages and conditions are
cleared once the problem is fixed, and a phase of Failed caused by the core returns to Pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airunway_operator.api import conditions as cond
from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core import reconcile_validation
from airunway_operator.core.events import Event
from airunway_operator.selection import engine as engine_selection
from airunway_operator.selection import provider as provider_selection
from airunway_operator.selection.capabilities import SelectionFailed
from airunway_operator.status import conditions
from airunway_operator.validation import spec as spec_rules

EXPLICIT_PROVIDER = "explicit provider selection"
FAILURE_PREFIXES = ("Validation failed: ", "Engine selection failed: ", "Provider selection failed: ")
_CORE_FAILURE_REASONS = frozenset(
    {cond.VALIDATION_FAILED, cond.SELECTION_FAILED, cond.PROVIDER_CHANGE_NOT_SUPPORTED, cond.NO_PROVIDER}
)


@dataclass(frozen=True)
class Decision:
    """Desired core-owned status keys (None deletes a key), Events and the metrics error type."""

    status: dict[str, Any]
    events: tuple[Event, ...] = ()
    error_type: str | None = None
    provider: str | None = None


@dataclass
class _Draft:
    md: ModelDeployment
    observed: Mapping[str, Any]
    now: datetime
    fields: dict[str, Any] = field(default_factory=dict)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    error_type: str | None = None
    failed: bool = False

    def __post_init__(self) -> None:
        self.conditions = [dict(c) for c in self.observed.get("conditions") or ()]

    def set(self, type_: str, status: bool, reason: str, message: str) -> None:
        self.conditions = conditions.set_condition(
            self.conditions,
            type_,
            status,
            reason,
            message,
            generation=self.md.metadata.generation,
            now=self.now,
        )

    def fail(self, type_: str, reason: str, message: str, *, phase: bool, error: str | None) -> None:
        self.set(type_, False, reason, message)
        self.set(cond.READY, False, reason, message)
        self.fields["message"] = message
        if phase:
            self.fields["phase"] = Phase.FAILED.value
        self.error_type = error
        self.failed = True


def decide(
    md: ModelDeployment,
    observed: Mapping[str, Any],
    configs: Sequence[InferenceProviderConfig],
    now: datetime,
    *,
    selector_enabled: bool = True,
) -> Decision:
    draft = _Draft(md, observed, now)
    draft.fields["observedGeneration"] = md.metadata.generation
    if not observed.get("phase"):
        draft.fields["phase"] = Phase.PENDING.value
    _run(draft, configs, selector_enabled)
    if not draft.failed:
        _recover(draft)
    draft.fields["conditions"] = draft.conditions
    recorded = (draft.fields.get("provider") or observed.get("provider") or {}).get("name")
    return Decision(draft.fields, _events(observed, draft.conditions), draft.error_type, recorded or None)


def _run(draft: _Draft, configs: Sequence[InferenceProviderConfig], selector_enabled: bool) -> None:
    md, spec, observed = draft.md, draft.md.spec, draft.observed
    recorded = (observed.get("provider") or {}).get("name") or None
    if not _check_image(draft):
        return
    if conditions.find(draft.conditions, cond.IMAGE_RESOLVED) and not _image_resolved_by_provider(draft):
        draft.conditions = conditions.remove(draft.conditions, cond.IMAGE_RESOLVED)
    observed_engine = (observed.get("engine") or {}).get("type")
    if selector_enabled:
        choice = engine_selection.select_engine(md, configs)
        if isinstance(choice, SelectionFailed):
            draft.set(cond.ENGINE_SELECTED, False, cond.SELECTION_FAILED, choice.message)
            draft.set(cond.READY, False, cond.SELECTION_FAILED, choice.message)
            draft.fields["message"] = f"Engine selection failed: {choice.message}"
            draft.error_type = "engine_selection" if recorded else None
            draft.failed = True
            return
        draft.fields["engine"] = {"type": choice.engine.value, "selectedReason": choice.reason}
    engine = _resolved_engine(spec.engine.type if spec.engine else None, draft.fields, observed_engine)
    problem = reconcile_validation.first_problem(spec, md.metadata.annotations or {}, engine, configs)
    if problem is not None:
        draft.fail(
            cond.VALIDATED,
            cond.VALIDATION_FAILED,
            f"Validation failed: {problem}",
            phase=True,
            error="validation",
        )
        return
    draft.set(cond.VALIDATED, True, cond.VALIDATION_PASSED, "Schema validation passed")
    _record_engine_condition(draft, explicit=bool(spec.engine and spec.engine.type))
    _provider(draft, engine, recorded, configs, selector_enabled)


def _check_image(draft: _Draft) -> bool:
    spec = draft.md.spec
    problems = spec_rules.check_image(spec)
    if not problems:
        return True
    message = str(problems[0])
    requested = (spec.engine.image if spec.engine else None) or spec.image
    draft.set(cond.IMAGE_RESOLVED, False, cond.CONFLICTING_IMAGE_FIELDS, message)
    draft.fields["image"] = {"requested": requested, "message": message}
    draft.fail(
        cond.VALIDATED, cond.VALIDATION_FAILED, f"Validation failed: {message}", phase=True, error=None
    )
    return False


def _image_resolved_by_provider(draft: _Draft) -> bool:
    found = conditions.find(draft.conditions, cond.IMAGE_RESOLVED)
    return found is not None and found.get("reason") != cond.CONFLICTING_IMAGE_FIELDS


def _resolved_engine(
    explicit: EngineType | None, fields: Mapping[str, Any], observed: str | None
) -> EngineType | None:
    value = explicit or (fields.get("engine") or {}).get("type") or observed
    return EngineType(value) if value else None


def _record_engine_condition(draft: _Draft, *, explicit: bool) -> None:
    engine = (draft.fields.get("engine") or draft.observed.get("engine") or {}).get("type")
    if not engine:
        return
    if explicit:
        draft.set(cond.ENGINE_SELECTED, True, cond.EXPLICIT_SELECTION, "Engine explicitly specified in spec")
    else:
        message = f"Engine {engine} auto-selected from provider capabilities"
        draft.set(cond.ENGINE_SELECTED, True, cond.AUTO_SELECTED, message)


def _provider(
    draft: _Draft,
    engine: EngineType | None,
    recorded: str | None,
    configs: Sequence[InferenceProviderConfig],
    selector_enabled: bool,
) -> None:
    spec = draft.md.spec
    wanted = spec.provider.name if spec.provider is not None and spec.provider.name else None
    if wanted and recorded and wanted != recorded:
        message = (
            f"spec.provider.name changed from {recorded!r} to {wanted!r}, but changing the provider after "
            "selection is not supported; delete and recreate the ModelDeployment to switch providers"
        )
        draft.fail(
            cond.PROVIDER_SELECTED,
            cond.PROVIDER_CHANGE_NOT_SUPPORTED,
            message,
            phase=True,
            error="provider_change",
        )
        return
    if recorded:
        reason = (draft.observed.get("provider") or {}).get("selectedReason")
        _selected(draft, recorded, explicit=reason == EXPLICIT_PROVIDER)
    elif wanted:
        draft.fields["provider"] = {"name": wanted, "selectedReason": EXPLICIT_PROVIDER}
        _selected(draft, wanted, explicit=True)
    elif not selector_enabled:
        message = "No provider specified and automatic provider selection is disabled; set spec.provider.name"
        draft.fail(cond.PROVIDER_SELECTED, cond.NO_PROVIDER, message, phase=False, error=None)
    else:
        _select_provider(draft, engine, configs)


def _select_provider(
    draft: _Draft, engine: EngineType | None, configs: Sequence[InferenceProviderConfig]
) -> None:
    if engine is None:
        return
    choice = provider_selection.select_provider(draft.md, configs, engine)
    if isinstance(choice, SelectionFailed):
        draft.set(cond.PROVIDER_SELECTED, False, cond.SELECTION_FAILED, choice.message)
        draft.set(cond.READY, False, cond.SELECTION_FAILED, choice.message)
        draft.fields["message"] = f"Provider selection failed: {choice.message}"
        draft.failed = True
        return
    draft.fields["provider"] = {"name": choice.provider, "selectedReason": choice.reason}
    _selected(draft, choice.provider, explicit=False)


def _selected(draft: _Draft, name: str, *, explicit: bool) -> None:
    if explicit:
        draft.set(
            cond.PROVIDER_SELECTED, True, cond.EXPLICIT_SELECTION, "Provider explicitly specified in spec"
        )
    else:
        draft.set(cond.PROVIDER_SELECTED, True, cond.AUTO_SELECTED, f"Provider {name} auto-selected")
    ready = conditions.find(draft.conditions, cond.READY)
    if ready is None or ready.get("reason") in _CORE_FAILURE_REASONS:
        message = f"Waiting for provider {name} to deploy the model"
        draft.set(cond.READY, False, cond.DEPLOYMENT_IN_PROGRESS, message)


def _recover(draft: _Draft) -> None:
    """Clear what an earlier core failure left behind, now that the core sees no problem."""
    message = draft.observed.get("message") or ""
    if message.startswith(FAILURE_PREFIXES) or "changing the provider after selection" in message:
        draft.fields["message"] = None
    was_core_failure = any(
        c.get("status") == "False"
        and c.get("reason") in _CORE_FAILURE_REASONS | {cond.CONFLICTING_IMAGE_FIELDS}
        for c in draft.observed.get("conditions") or ()
        if c.get("type") in cond.CORE_TYPES
    )
    if draft.observed.get("phase") == Phase.FAILED.value and was_core_failure:
        draft.fields["phase"] = Phase.PENDING.value


def _events(observed: Mapping[str, Any], new: Sequence[Mapping[str, Any]]) -> tuple[Event, ...]:
    """One Event per failed transition; the successful ones of a pass share one Event (a new
    object passes validation, engine and provider selection at once: one write, not three)."""
    before = {c.get("type"): (c.get("status"), c.get("reason")) for c in observed.get("conditions") or ()}
    passed: list[Mapping[str, Any]] = []
    events = []
    for c in new:
        if c["type"] not in cond.CORE_TYPES or before.get(c["type"]) == (c["status"], c["reason"]):
            continue
        if c["status"] == "True":
            passed.append(c)
        else:
            events.append(Event("Warning", c["reason"], c["message"]))
    if passed:
        message = "; ".join(str(c["message"]) for c in passed)
        events.insert(0, Event("Normal", passed[-1]["reason"], message))
    return tuple(events)
