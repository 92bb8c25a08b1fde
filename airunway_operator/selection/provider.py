"""Provider auto-selection for a ModelDeployment (SPEC-core §4.2, reconcile steps 12-13).

A provider recorded in `status.provider` is sticky and an explicit `spec.provider.name` is taken
verbatim (no readiness, capability or CEL check). Otherwise every listed provider runs through a
chain of rejections; the survivors are the candidates. A candidate's priority is the highest
priority among its selection rules that evaluate to `true` (at least 0, so a candidate without a
matching rule still competes); the highest priority wins and ties go to the byte-wise smallest
name. Rules that fail to compile or evaluate, or yield a non-boolean, are skipped.

The winner is found without evaluating every rule: positive-priority rules are tried in
(priority descending, provider name ascending) order and the first one that matches names the
winner; when none matches, every candidate has priority 0 and the smallest name wins; a single
candidate wins without any evaluation. This gives exactly the full ranking's answer
(`candidate_priorities`, which tests compare against). What depends only on the configs
(candidates, ordered compiled rules) is computed once per provider set and demand (`_plan`).
Pure: the caches hold derived data only and never change an answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import EngineCapability, InferenceProviderConfig, SelectionRule
from airunway_operator.selection import capabilities, cel, celinput
from airunway_operator.selection.capabilities import CapabilityCheck, Requirement, SelectionFailed
from airunway_operator.selection.cel import CelEngine, Program
from airunway_operator.validation.compatibility import engines_of

EXPLICIT_REASON: Final = "explicit provider selection"
NO_HEALTHY_PROVIDERS: Final = "no healthy providers available"
NO_COMPATIBLE_PROVIDER: Final = "no compatible provider found for this configuration"
CONVERSION_FAILED: Final = "provider selection failed: failed to convert spec for CEL evaluation: "
#: Remembered (configs, demand) plans; a few per IPC generation suffice.
PLAN_CACHE_SIZE: Final = 256


class ProviderSource(StrEnum):
    """Where the provider comes from."""

    EXPLICIT = "explicit"  # spec.provider.name, recorded once in status
    RECORDED = "recorded"  # status.provider.name from an earlier selection; status unchanged
    AUTO = "auto"  # chosen now from capabilities and selection rules


@dataclass(frozen=True)
class ProviderSelected:
    """The provider and the `status.provider.selectedReason` that goes with it."""

    provider: str
    reason: str
    source: ProviderSource
    priority: int | None = None
    """For AUTO among several candidates: the winner's priority (None when nothing needed ranking)."""


@dataclass(frozen=True)
class Demand:
    """What a provider must offer: the resolved engine on the required hardware and mode."""

    engine: EngineType
    requirement: Requirement


ProviderCheck = Callable[[InferenceProviderConfig, Demand], str | None]


def is_not_ready(config: InferenceProviderConfig, demand: Demand) -> str | None:
    """Only providers reporting `status.ready: true` take new deployments."""
    return None if capabilities.is_ready(config) else "not ready"


def lacks_capabilities(config: InferenceProviderConfig, demand: Demand) -> str | None:
    """A provider without `spec.capabilities` offers nothing."""
    return "declares no capabilities" if engines_of(config) is None else None


def lacks_engine(config: InferenceProviderConfig, demand: Demand) -> str | None:
    """The resolved engine must be among the provider's engine capabilities."""
    return f"does not offer {demand.engine.value}" if capability_for(config, demand.engine) is None else None


def _on_capability(check: CapabilityCheck) -> ProviderCheck:
    """`check` applied to the provider's capability for the resolved engine."""

    def provider_check(config: InferenceProviderConfig, demand: Demand) -> str | None:
        capability = capability_for(config, demand.engine)
        return None if capability is None else check(capability, demand.requirement)

    provider_check.__name__ = check.__name__
    provider_check.__doc__ = check.__doc__
    return provider_check


REJECTIONS: Final[tuple[ProviderCheck, ...]] = (
    is_not_ready,
    lacks_capabilities,
    lacks_engine,
    *(_on_capability(check) for check in capabilities.CAPABILITY_CHECKS),
)


def rejection(config: InferenceProviderConfig, demand: Demand) -> str | None:
    """Why `config` cannot serve `demand` (the first rejection), None for a candidate."""
    return next((reason for check in REJECTIONS if (reason := check(config, demand))), None)


def capability_for(config: InferenceProviderConfig, engine: EngineType) -> EngineCapability | None:
    """The provider's capability entry for `engine`, if it declares one."""
    return next((capability for capability in engines_of(config) or () if capability.name == engine), None)


def select_provider(
    deployment: ModelDeployment,
    configs: Sequence[InferenceProviderConfig],
    engine: EngineType,
    cel_engine: CelEngine | None = None,
) -> ProviderSelected | SelectionFailed:
    """The provider for `deployment` running the resolved `engine`, given every listed config.

    The caller rejects a switch between a recorded and a different explicit provider first
    (reconcile step 11); here a recorded provider simply wins.
    """
    recorded = deployment.status.provider if deployment.status is not None else None
    if recorded is not None and recorded.name:
        return ProviderSelected(recorded.name, recorded.selected_reason or "", ProviderSource.RECORDED)
    explicit = deployment.spec.provider.name if deployment.spec.provider is not None else None
    if explicit:
        return ProviderSelected(explicit, EXPLICIT_REASON, ProviderSource.EXPLICIT)
    return auto_select(deployment, configs, engine, cel_engine or cel.default_engine())


def auto_select(
    deployment: ModelDeployment,
    configs: Sequence[InferenceProviderConfig],
    engine: EngineType,
    cel_engine: CelEngine,
) -> ProviderSelected | SelectionFailed:
    """Upstream's algorithm proper: readiness, candidates, CEL priorities, tie-break by name."""
    if not configs:
        return SelectionFailed(capabilities.NO_PROVIDERS_REGISTERED)
    demand = Demand(engine, capabilities.requirement(deployment.spec))
    plan = _plan(_Identical(configs), demand, cel_engine)
    if not plan.any_ready:
        return SelectionFailed(NO_HEALTHY_PROVIDERS)
    try:
        spec_value = celinput.build(deployment.spec, _name(deployment), engine, plan.fields)
    except celinput.CelInputError as error:
        return SelectionFailed(CONVERSION_FAILED + str(error))
    if not plan.candidates:
        return SelectionFailed(NO_COMPATIBLE_PROVIDER)
    winner, priority = _winner(plan, spec_value, cel_engine)
    return ProviderSelected(winner, _matched_reason(demand), ProviderSource.AUTO, priority)


@dataclass(frozen=True)
class _Plan:
    """Everything selection derives from the configs alone for one demand."""

    any_ready: bool
    candidates: tuple[str, ...]
    """Names of the candidates, sorted."""
    ranks: tuple[tuple[int, str], ...]
    """(priority, provider) of each program, in the order that makes the first match the winner."""
    programs: tuple[Program, ...]
    fields: frozenset[str] | None
    """The spec's top-level fields the programs can observe (None: the whole spec)."""


class _Identical:
    """Configs as a cache key: hashed by identity, compared as a tuple (identical items compare
    equal at C speed; equal-valued items would give the same plan anyway). Typed API objects are
    frozen and never mutated, and the key holds them, so their ids stay unique while it lives."""

    __slots__ = ("_hash", "items")

    def __init__(self, items: Sequence[InferenceProviderConfig]) -> None:
        self.items = tuple(items)
        self._hash = hash(tuple(map(id, self.items)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identical) and self.items == other.items


@functools.lru_cache(maxsize=PLAN_CACHE_SIZE)
def _plan(configs: _Identical, demand: Demand, cel_engine: CelEngine) -> _Plan:
    candidates = [
        config for config in capabilities.by_name(configs.items) if rejection(config, demand) is None
    ]
    ranked = _ranked_rules(candidates, cel_engine) if len(candidates) > 1 else []
    return _Plan(
        any_ready=any(capabilities.is_ready(config) for config in configs.items),
        candidates=tuple(capabilities.name_of(config) for config in candidates),
        ranks=tuple((priority, name) for priority, name, _ in ranked),
        programs=tuple(program for _, _, program in ranked),
        fields=cel.referenced_fields(program.text for _, _, program in ranked),
    )


def _winner(plan: _Plan, spec_value: celinput.JsonObject, cel_engine: CelEngine) -> tuple[str, int | None]:
    """(name, priority) of the winner: the provider of the first matching rule, else the first name.
    A single candidate wins whatever its rules say, so they are not evaluated."""
    if len(plan.candidates) == 1:
        return plan.candidates[0], None
    if plan.programs:
        index = cel_engine.first_match(plan.programs, cel_engine.bind(spec_value))
        if index is not None:
            priority, name = plan.ranks[index]
            return name, priority
    return plan.candidates[0], 0


def _ranked_rules(
    candidates: Sequence[InferenceProviderConfig], cel_engine: CelEngine
) -> list[tuple[int, str, Program]]:
    """Compiled positive-priority rules of `candidates` as (priority, provider, program), sorted by
    priority descending, then provider name, then rule order. Priority-0 rules cannot raise a
    candidate above 0, and rules that do not compile never match."""
    ranked = [
        (rule.priority, capabilities.name_of(config), program)
        for config in candidates
        for rule in _rules(config)
        if rule.priority > 0 and isinstance(program := cel_engine.compile(rule.condition), Program)
    ]
    ranked.sort(key=lambda entry: (-entry[0], entry[1]))  # stable: rule order kept within a provider
    return ranked


def candidate_priorities(
    candidates: Sequence[InferenceProviderConfig], spec_value: celinput.JsonObject, cel_engine: CelEngine
) -> dict[str, int]:
    """Every candidate's priority with every rule evaluated: the reference semantics (tests compare
    the short-circuit against it; also handy to explain a choice)."""
    activation = cel_engine.bind(spec_value)
    return {
        capabilities.name_of(config): max(
            [
                0,
                *(
                    rule.priority
                    for rule in _rules(config)
                    if _matches(rule.condition, activation, cel_engine)
                ),
            ]
        )
        for config in candidates
    }


def _matches(condition: str, activation: cel.Activation, cel_engine: CelEngine) -> bool:
    program = cel_engine.compile(condition)
    return isinstance(program, Program) and cel_engine.evaluate(program, activation) is True


def _rules(config: InferenceProviderConfig) -> tuple[SelectionRule, ...]:
    return (config.spec.selection_rules or ()) if config.spec is not None else ()


def _matched_reason(demand: Demand) -> str:
    gpu = "true" if demand.requirement.has_gpu else "false"
    return (
        f"matched capabilities: engine={demand.engine.value}, gpu={gpu}, mode={demand.requirement.mode.value}"
    )


def _name(deployment: ModelDeployment) -> str:
    return deployment.metadata.name or ""
