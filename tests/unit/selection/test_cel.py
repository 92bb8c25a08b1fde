"""CEL semantics as upstream's cel-go environment has them (SPEC-core §4.3): errors on missing keys
(also inside has()), error absorption by || and &&, numbers compared across types, compile
failures as values, and the batched first-match equal to rule-by-rule evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.selection import cel
from airunway_operator.selection.cel import CompileError, EvalError, Program
from tests.unit.selection.builders import ipc, shipped

ENGINE = cel.default_engine()
ERROR = "error"

GPU_SPEC = {"resources": {"gpu": {"count": 1.0, "type": "nvidia.com/gpu"}}, "engine": {"type": "vllm"}}


def compiled(text: str) -> Program:
    program = ENGINE.compile(text)
    assert isinstance(program, Program), program
    return program


def evaluate(text: str, spec: dict[str, Any]) -> bool | str:
    result = ENGINE.evaluate(compiled(text), ENGINE.bind(spec))
    return ERROR if isinstance(result, EvalError) else result


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        pytest.param("has(spec.resources.gpu)", GPU_SPEC, True, id="has() on a present key is true"),
        pytest.param(
            "has(spec.resources.gpu)", {"resources": {}}, False, id="has() on a missing leaf is false"
        ),
        pytest.param("has(spec.resources.gpu)", {}, ERROR, id="has() with a missing parent is an error"),
        pytest.param("has(spec.x.y)", {"x": "text"}, ERROR, id="has() on a non-map parent is an error"),
        pytest.param("spec.resources.gpu.count > 0", {}, ERROR, id="selecting a missing key is an error"),
        pytest.param("spec.m['k'] == 1", {"m": {}}, ERROR, id="indexing a missing map key is an error"),
        pytest.param("spec.c > 0", {"c": 1.0}, True, id="a double compares greater than an int literal"),
        pytest.param("spec.c == 0", {"c": 0.0}, True, id="a double equals an int literal"),
        pytest.param("spec.c != 1", {"c": 1.0}, False, id="a double is not unequal to the same int"),
        pytest.param("spec.c >= 2u", {"c": 2.0}, True, id="a double compares with a uint literal"),
        pytest.param("spec.c == 1.5", {"c": 1.5}, True, id="a double equals a double literal"),
        pytest.param(
            "spec.c in [1, 2]", {"c": 2.0}, True, id="list membership compares across numeric types"
        ),
        pytest.param("spec.c == 'a'", {"c": 1.0}, False, id="values of different kinds are simply unequal"),
        pytest.param("true || spec.missing", {}, True, id="true or an error is true"),
        pytest.param("spec.missing || true", {}, True, id="an error or true is true"),
        pytest.param("false && spec.missing", {}, False, id="false and an error is false"),
        pytest.param("spec.missing && false", {}, False, id="an error and false is false"),
        pytest.param("spec.missing || false", {}, ERROR, id="an error or false is an error"),
        pytest.param("true && spec.missing", {}, ERROR, id="true and an error is an error"),
        pytest.param("spec.c", {"c": 1.0}, ERROR, id="a non-boolean result does not match"),
        pytest.param("spec.flag", {"flag": True}, True, id="a dynamic boolean result matches"),
        pytest.param(
            "spec.s.matches('[')", {"s": "a"}, ERROR, id="an invalid regular expression is an error"
        ),
        pytest.param("spec.s.startsWith('vl')", {"s": "vllm"}, True, id="string functions are available"),
        pytest.param("spec.l.exists(v, v == 2)", {"l": [1.0, 2.0]}, True, id="macros are available"),
        pytest.param("spec.n == null", {"n": None}, True, id="JSON null is CEL null"),
        pytest.param("1 / 0 == 1 || true", {}, True, id="a division error is absorbed by a true branch"),
    ],
)
def test_evaluation_semantics(text: str, spec: dict[str, Any], expected: bool | str):
    assert evaluate(text, spec) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("((", "Syntax error", id="a syntax error does not compile"),
        pytest.param("", "Syntax error", id="an empty expression does not compile"),
        pytest.param("self.x == 1", "undeclared reference", id="only the variable spec is declared"),
        pytest.param("1 == 'a'", "no matching overload", id="a static type mismatch does not compile"),
        pytest.param(
            "1.0 > 0", "no matching overload", id="mixed numeric literals do not compile, as in cel-go"
        ),
        pytest.param("1 + 2", "type int, not bool", id="a statically non-boolean expression never matches"),
        pytest.param("'vllm'", "type string, not bool", id="a string expression never matches"),
        pytest.param("(" * 40 + "true" + ")" * 40, "recursion", id="nesting beyond cel-cpp's limit of 32"),
    ],
)
def test_compile_failures_are_values(text: str, fragment: str):
    result = ENGINE.compile(text)
    assert isinstance(result, CompileError)
    assert result.text == text
    assert fragment in result.message
    assert not result.message.startswith("INVALID_ARGUMENT"), "the status code prefix is stripped"


def test_programs_are_compiled_once_per_text():
    first = ENGINE.compile("spec.engine.type == 'vllm'")
    assert ENGINE.compile("spec.engine.type == 'vllm'") is first
    assert isinstance(ENGINE.compile("dyn(spec).engine.type == 'vllm'"), Program)


def test_the_default_engine_is_shared():
    assert cel.default_engine() is cel.default_engine()


def test_every_shipped_rule_compiles():
    assert [(config.metadata.name, cel.check_rules(config)) for config in shipped()] == [
        (config.metadata.name, []) for config in shipped()
    ]


def test_check_rules_reports_each_rule_that_can_never_match():
    config = ipc("odd", rules=[("true", 1), ("1 == 'a'", 2), ("spec.x", 3), ("42", 4), ("((", 5)])
    reported = cel.check_rules(config)
    assert [index for index, _ in reported] == [1, 3, 4]
    assert "no matching overload" in reported[0][1]
    assert "type int" in reported[1][1]


def test_compile_errors_are_one_line_with_the_position():
    error = ENGINE.compile("foo(1) && bar")
    assert isinstance(error, cel.CompileError)
    assert "\n" not in error.message
    assert error.message == (
        "at 1:4: undeclared reference to 'foo' (in container ''); "
        "at 1:11: undeclared reference to 'bar' (in container '')"
    )


def test_check_rules_of_a_config_without_rules_is_empty():
    assert cel.check_rules(ipc("bare", capabilities=False)) == []


BATCHES = [
    pytest.param(["false", "true", "true"], GPU_SPEC, 1, id="the first true rule is found"),
    pytest.param(["false", "spec.c"], {"c": 1.0}, None, id="non-boolean results never match"),
    pytest.param(["spec.missing", "true"], {}, 1, id="an erroring rule falls back to one-by-one evaluation"),
    pytest.param(["spec.missing", "false"], {}, None, id="no rule matching gives None"),
    pytest.param(
        ["false // a comment ends the line", "true"], {}, 1, id="comments in rules do not leak into the batch"
    ),
    pytest.param(
        ["(" * 31 + "false" + ")" * 31, "true"], {}, 1, id="rules too deep to batch are evaluated one by one"
    ),
    pytest.param(["true"], {}, 0, id="a single rule is evaluated directly"),
    pytest.param([], {}, None, id="no rules match nothing"),
]


@pytest.mark.parametrize(("texts", "spec", "expected"), BATCHES)
def test_first_match(texts: list[str], spec: dict[str, Any], expected: int | None):
    programs = [compiled(text) for text in texts]
    activation = ENGINE.bind(spec)
    one_by_one = next(
        (index for index, program in enumerate(programs) if ENGINE.evaluate(program, activation) is True),
        None,
    )
    assert ENGINE.first_match(programs, activation) == expected == one_by_one


def test_an_activation_serves_many_rules():
    activation = ENGINE.bind(GPU_SPEC)
    results = [ENGINE.evaluate(compiled(text), activation) for text in ("true", "false", "true")]
    assert results == [True, False, True]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        pytest.param(
            ["has(spec.resources.gpu) && spec.resources.gpu.count > 0", "spec.engine.type == 'vllm'"],
            {"resources", "engine"},
            id="field selections name the fields rules can see",
        ),
        pytest.param(["true"], set(), id="rules that never mention spec see nothing"),
        pytest.param(["spec . serving . mode == 'x'"], {"serving"}, id="spaces around dots are allowed"),
        pytest.param(["'spec' == spec.image // spec"], {"image"}, id="strings and comments are not uses"),
        pytest.param(["x.spec.y == 1"], set(), id="a field named spec is not the variable"),
        pytest.param(["size(spec) > 3"], None, id="the whole spec as a value needs everything"),
        pytest.param(["spec['engine'].type == 'vllm'"], None, id="indexing needs everything"),
        pytest.param(
            ["[1].exists(spec, spec == 1)"], None, id="a macro variable named spec needs everything"
        ),
        pytest.param(["dyn(spec).x == 1"], None, id="spec passed to a function needs everything"),
        pytest.param(["spec.exists(k, k == 'env')"], None, id="a macro over spec needs everything"),
        pytest.param(["spec.size() > 2"], None, id="a method call on spec needs everything"),
        pytest.param(["spec.engine.type.startsWith('v')"], {"engine"}, id="calls deeper down are fine"),
        pytest.param([r"r'\d' == 'spec' || spec.x == 1"], {"x"}, id="raw strings are skipped too"),
        pytest.param(["spec.`a-b` == 1"], None, id="quoted field names need everything"),
        pytest.param(["spec.a == 1", "size(spec) > 0"], None, id="one rule needing everything decides"),
    ],
)
def test_referenced_fields(texts: list[str], expected: set[str] | None):
    fields = cel.referenced_fields(texts)
    assert (None if fields is None else set(fields)) == expected


def test_bound_values_are_reused_by_content_only():
    engine = cel.CelExprEngine(bound_cache_size=2)
    first = engine.bind({"engine": {"type": "vllm"}})
    assert engine.bind({"engine": {"type": "vllm"}}) is first
    assert engine.bind({"engine": {"type": "sglang"}}) is not first
    assert engine.bind({"engine": {"type": 1.0}}) is not engine.bind({"engine": {"type": True}})
    assert engine.bind({"engine": {"type": "vllm"}}) is not first, "the least recently used entry is evicted"


def test_a_bound_value_cache_of_zero_binds_every_time():
    engine = cel.CelExprEngine(bound_cache_size=0)
    assert engine.bind({"a": 1.0}) is not engine.bind({"a": 1.0})
    program = engine.compile("spec.a == 1")
    assert isinstance(program, Program)
    assert engine.evaluate(program, engine.bind({"a": 1.0})) is True
