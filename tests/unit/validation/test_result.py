"""Field errors and verdicts: how problems read in a rejection."""

from __future__ import annotations

from airunway_operator.validation.result import ErrorKind, FieldError, Verdict, shown

ONE = FieldError("spec.model.id", ErrorKind.REQUIRED, "spec.model.id is required; set it")
TWO = FieldError("spec.scaling", ErrorKind.REQUIRED, "spec.scaling is required; set it")


def test_a_field_error_naming_its_path_first_prints_it_once():
    assert str(ONE) == "spec.model.id is required; set it"


def test_a_field_error_not_naming_its_path_first_is_prefixed_with_it():
    error = FieldError("spec.engine.type", ErrorKind.INVALID, "the mocker only runs vllm")
    assert str(error) == "spec.engine.type: the mocker only runs vllm"


def test_a_longer_path_at_the_start_is_not_the_path():
    error = FieldError("spec.scaling", ErrorKind.REQUIRED, "spec.scaling.prefill is required")
    assert str(error) == "spec.scaling: spec.scaling.prefill is required"


def test_an_empty_verdict_is_allowed_and_has_no_message():
    verdict = Verdict(name="qwen")
    assert verdict.allowed
    assert verdict.message() == ""


def test_one_problem_is_stated_plainly():
    assert Verdict((ONE,), name="qwen").message() == (
        "ModelDeployment qwen is invalid: spec.model.id is required; set it"
    )


def test_several_problems_are_numbered():
    message = Verdict((ONE, TWO), name="qwen").message()
    assert message == (
        "ModelDeployment qwen is invalid: 2 problems: 1) spec.model.id is required; set it; "
        "2) spec.scaling is required; set it"
    )


def test_warnings_do_not_deny():
    assert Verdict(warnings=("careful",)).allowed


def test_warnings_can_be_added():
    verdict = Verdict((ONE,), ("a",), "qwen").with_warnings("b", "c")
    assert verdict == Verdict((ONE,), ("a", "b", "c"), "qwen")


def test_an_internal_error_is_flagged():
    internal = FieldError("spec.provider.name", ErrorKind.INTERNAL, "could not check")
    assert Verdict((ONE, internal)).has_internal_error
    assert not Verdict((ONE,)).has_internal_error


def test_shown_values_are_quoted_and_shortened():
    assert shown("abc") == "'abc'"
    assert shown(True) == "true"
    long = shown("x" * 500)
    assert len(long) == 80
    assert long.endswith("...'")
