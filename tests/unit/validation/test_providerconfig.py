"""InferenceProviderConfig admission never rejects (upstream has no such webhook); rules that can
never match come back as warnings and as the `SelectionRulesValid` condition."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.validation import providerconfig
from tests.unit.validation.test_properties import JSON

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 13, 0, 0, tzinfo=UTC)


def body(*conditions: str, generation: int | None = 3, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "custom"}
    if generation is not None:
        metadata["generation"] = generation
    rules = [{"condition": text, "priority": 10 * (i + 1)} for i, text in enumerate(conditions)]
    return {"metadata": metadata, "spec": {"selectionRules": rules, **spec}}


# -- admission ------------------------------------------------------------------------------------


def test_a_rule_that_does_not_compile_is_admitted_with_a_warning_naming_it():
    verdict = providerconfig.validate(body("true", "spec.engine.type =="))
    assert verdict.allowed
    assert verdict.message() == ""
    [warning] = verdict.warnings
    assert warning.startswith("spec.selectionRules[1].condition (")
    assert "at 1:20: Syntax error" in warning
    assert "\n" not in warning
    assert "skips it" in warning


def test_every_bad_rule_gets_its_own_warning_with_the_compile_error():
    verdict = providerconfig.validate(body("1 == 'a'", "true", "42"))
    assert verdict.allowed
    assert [w.split(" ", 1)[0] for w in verdict.warnings] == [
        "spec.selectionRules[0].condition",
        "spec.selectionRules[2].condition",
    ]
    assert "no matching overload" in verdict.warnings[0]
    assert "type int" in verdict.warnings[1]


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(body("has(spec.resources) && spec.resources.gpu.count > 1"), id="good rules"),
        pytest.param(body(), id="no rules"),
        pytest.param({"metadata": {"name": "bare"}}, id="no spec"),
    ],
)
def test_good_configs_are_admitted_silently(config: dict[str, Any]):
    verdict = providerconfig.validate(config)
    assert verdict.allowed
    assert verdict.warnings == ()


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"metadata": {"name": "x"}, "spec": "text"}, id="spec not an object"),
        pytest.param(
            {"metadata": {"name": "x"}, "spec": {"selectionRules": [{}]}}, id="rule without condition"
        ),
        pytest.param(
            {"spec": {"selectionRules": [{"condition": "true", "priority": -1}]}}, id="bad priority"
        ),
    ],
)
def test_an_unreadable_spec_is_admitted_with_a_warning(config: dict[str, Any]):
    verdict = providerconfig.validate(config)
    assert verdict.allowed
    [warning] = verdict.warnings
    assert "could not be read" in warning


# -- the SelectionRulesValid condition --------------------------------------------------------------


def test_bad_rules_make_the_condition_false_naming_each_rule():
    [condition] = providerconfig.selection_rules_conditions(body("((", "true", "42"), None, now=NOW)
    assert condition["type"] == "SelectionRulesValid"
    assert condition["status"] == "False"
    assert condition["reason"] == "InvalidSelectionRule"
    assert condition["observedGeneration"] == 3
    assert condition["lastTransitionTime"] == "2026-03-01T12:00:00Z"
    message = condition["message"]
    assert message.startswith("2 of the selection rules can never match and are skipped: ")
    assert "spec.selectionRules[0].condition (" in message
    assert "spec.selectionRules[2].condition (" in message
    assert "[1]" not in message
    assert "type int" in message


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(body("spec.engine.type == 'vllm'"), id="raw body"),
        pytest.param(InferenceProviderConfig.parse(body("spec.engine.type == 'vllm'")), id="typed object"),
        pytest.param(body(), id="no rules"),
    ],
)
def test_good_rules_make_the_condition_true(config: Any):
    [condition] = providerconfig.selection_rules_conditions(config, [], now=NOW)
    assert (condition["status"], condition["reason"]) == ("True", "RulesCompiled")
    assert condition["observedGeneration"] == 3


def test_other_conditions_are_kept_and_a_fix_flips_the_condition():
    upstream = {
        "type": "UpstreamReady",
        "status": "True",
        "reason": "UpstreamHealthy",
        "message": "ok",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    broken = providerconfig.selection_rules_conditions(body("(("), [upstream], now=NOW)
    assert broken[0] == upstream
    assert broken[1]["status"] == "False"
    fixed = providerconfig.selection_rules_conditions(body("true", generation=4), broken, now=LATER)
    assert fixed[0] == upstream
    assert fixed[1]["status"] == "True"
    assert fixed[1]["observedGeneration"] == 4
    assert fixed[1]["lastTransitionTime"] == "2026-03-01T13:00:00Z"


def test_an_unchanged_verdict_gives_back_the_same_conditions():
    first = providerconfig.selection_rules_conditions(body("(("), None, now=NOW)
    assert providerconfig.selection_rules_conditions(body("(("), first, now=LATER) == first


def test_an_unreadable_spec_is_reported_as_such():
    config = {"metadata": {"name": "x", "generation": 1}, "spec": {"selectionRules": [{}]}}
    [condition] = providerconfig.selection_rules_conditions(config, None, now=NOW)
    assert (condition["status"], condition["reason"]) == ("False", "SpecUnreadable")


def test_the_message_fits_a_condition_however_many_rules_fail():
    many = body(*(f"undeclared_{'x' * 200}_{i} == 1" for i in range(300)))
    [condition] = providerconfig.selection_rules_conditions(many, None, now=NOW)
    assert len(condition["message"]) == providerconfig.MAX_MESSAGE_LENGTH
    assert condition["message"].startswith("300 of the selection rules")


RULE_TEXTS = st.one_of(
    st.sampled_from(["true", "((", "42", "spec.engine.type == 'vllm'", "1 == 'a'", "has(spec.x) &&"]),
    st.text(max_size=30),
)
RULES = st.lists(
    st.fixed_dictionaries({"condition": RULE_TEXTS}, optional={"priority": st.integers(-2, 2**31)}),
    max_size=4,
)
BODIES = st.one_of(
    st.builds(lambda name: {"metadata": {"name": name}}, st.text(max_size=5)),
    st.builds(
        lambda rules: {"metadata": {"name": "p", "generation": 1}, "spec": {"selectionRules": rules}}, RULES
    ),
    st.builds(lambda spec: {"spec": spec}, JSON),
)


@settings(max_examples=500, deadline=None)
@given(config=BODIES)
def test_no_config_is_ever_denied_and_the_condition_is_always_computed(config: dict[str, Any]):
    verdict = providerconfig.validate(config)
    assert verdict.allowed
    assert all(isinstance(w, str) and w and "\n" not in w for w in verdict.warnings)
    [condition] = providerconfig.selection_rules_conditions(config, None, now=NOW)
    assert condition["type"] == "SelectionRulesValid"
    assert condition["status"] in ("True", "False")
    assert (condition["status"] == "True") == (verdict.warnings == ())
