"""Admission of InferenceProviderConfigs, and the condition that reports their selection rules.

Upstream has no webhook for this kind: it admits any CEL text and skips a rule that does not
compile when it selects a provider. We admit the same objects (a manifest upstream accepts is never
rejected here), but a rule that can never match — it does not compile, or its type is not bool —
comes back as an admission warning naming the rule, and `selection_rules_conditions` gives the
`SelectionRulesValid` condition that reports it on the object itself. Selection skips such a rule
exactly as upstream does (`selection.provider`). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError

from airunway_operator.api.providerconfig import InferenceProviderConfig, InferenceProviderConfigSpec
from airunway_operator.selection import cel
from airunway_operator.status import conditions
from airunway_operator.validation.result import Verdict

KIND: Final = "InferenceProviderConfig"

#: Condition on the InferenceProviderConfig: can every selection rule match at all?
SELECTION_RULES_VALID: Final = "SelectionRulesValid"
RULES_COMPILED: Final = "RulesCompiled"
INVALID_SELECTION_RULE: Final = "InvalidSelectionRule"
#: Reported when the spec cannot be read, so its rules could not be checked.
SPEC_UNREADABLE: Final = "SpecUnreadable"
#: metav1.Condition's limit on `message`.
MAX_MESSAGE_LENGTH: Final = 32768

RuleProblem = tuple[int, str]
"""(index in spec.selectionRules, why the rule can never match)."""


def validate(body: Mapping[str, Any]) -> Verdict:
    """The admission answer: always allowed; one warning per rule that can never match."""
    name = _name(body)
    problems = rule_problems(body)
    if problems is None:
        warning = (
            f"spec of {KIND} {name or '(unnamed)'} could not be read, so its selection rules were not "
            "checked; the provider is not selected automatically until it is fixed"
        )
        return Verdict(warnings=(warning,), name=name, kind=KIND)
    return Verdict(warnings=tuple(_rule_warning(problem) for problem in problems), name=name, kind=KIND)


def rule_problems(config: InferenceProviderConfig | Mapping[str, Any]) -> list[RuleProblem] | None:
    """Every selection rule of `config` (typed or a raw body) that can never match, in order;
    None when the raw spec is not a readable InferenceProviderConfig spec."""
    if isinstance(config, InferenceProviderConfig):
        return cel.check_rules(config)
    raw_spec = config.get("spec")
    if raw_spec is None:
        return []
    if not isinstance(raw_spec, Mapping):
        return None
    try:
        spec = InferenceProviderConfigSpec.model_validate(raw_spec)
    except ValidationError:
        return None
    return cel.check_rules(InferenceProviderConfig(spec=spec))


def selection_rules_conditions(
    config: InferenceProviderConfig | Mapping[str, Any],
    existing: Iterable[Mapping[str, Any]] | None,
    *,
    now: datetime,
) -> list[dict[str, Any]]:
    """`existing` (the object's `status.conditions`) with `SelectionRulesValid` set for `config`.

    True `RulesCompiled` when every rule can match (also with no rules); False
    `InvalidSelectionRule` naming each rule that cannot, with the compiler's message. The
    condition's observedGeneration is the object's `metadata.generation`; other conditions are
    kept as they are. Write the result only when it differs from `existing`.
    """
    problems = rule_problems(config)
    if problems is None:
        status, reason = False, SPEC_UNREADABLE
        message = "spec could not be read, so the selection rules were not checked"
    elif problems:
        status, reason = False, INVALID_SELECTION_RULE
        listed = "; ".join(_rule_text(problem) for problem in problems)
        message = f"{len(problems)} of the selection rules can never match and are skipped: {listed}"
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 3] + "..."
    else:
        status, reason, message = True, RULES_COMPILED, "every selection rule compiles"
    return conditions.set_condition(
        existing, SELECTION_RULES_VALID, status, reason, message, generation=_generation(config), now=now
    )


def _rule_text(problem: RuleProblem) -> str:
    index, message = problem
    return f"spec.selectionRules[{index}].condition ({message})"


def _rule_warning(problem: RuleProblem) -> str:
    return (
        f"{_rule_text(problem)} is not a valid CEL selection rule, so it never matches and selection "
        "skips it; fix the rule"
    )


def _name(body: Mapping[str, Any]) -> str:
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return name if isinstance(name, str) else ""


def _generation(config: InferenceProviderConfig | Mapping[str, Any]) -> int | None:
    if isinstance(config, InferenceProviderConfig):
        return config.metadata.generation
    metadata = config.get("metadata")
    generation = metadata.get("generation") if isinstance(metadata, Mapping) else None
    return generation if isinstance(generation, int) and not isinstance(generation, bool) else None
