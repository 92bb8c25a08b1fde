"""The reconciler's validation subset renders each problem with its field path printed once."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airunway_operator.api.constants import EngineType
from airunway_operator.core import reconcile_validation
from airunway_operator.validation import parsing
from tests.unit.validation.builders import md
from tests.unit.validation.test_properties import CONFIGS, assert_path_printed_once, shaped_bodies

MOCKER = {"airunway.ai/dynamo-test-backend": "mocker"}
ENGINES = st.one_of(st.none(), st.sampled_from(list(EngineType)))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=shaped_bodies(), engine=ENGINES, configs=st.lists(st.sampled_from(CONFIGS), max_size=3))
def test_every_problem_names_its_path_once(body: Any, engine: EngineType | None, configs: list[Any]) -> None:
    parsed = parsing.read(body)
    if parsed.spec is None:
        return
    problem = reconcile_validation.first_problem(parsed.spec, parsed.annotations, engine, configs)
    if problem is not None:
        assert_path_printed_once(str(problem), problem.path)


def test_the_mocker_engine_problem_names_the_engine_field_first() -> None:
    parsed = parsing.read(md(provider__name="dynamo", engine__type="sglang"))
    assert parsed.spec is not None
    problem = reconcile_validation.first_problem(parsed.spec, MOCKER, EngineType.SGLANG, [])
    assert problem is not None
    assert str(problem).startswith("spec.engine.type 'sglang' is not supported by the Dynamo mocker")


def test_a_missing_gpu_says_requires_gpu() -> None:
    parsed = parsing.read(md(engine__type="vllm", resources__gpu__count=0))
    assert parsed.spec is not None
    problem = reconcile_validation.first_problem(parsed.spec, {}, EngineType.VLLM, [CONFIGS[0]])
    assert problem is not None
    assert "requires GPU" in str(problem)
