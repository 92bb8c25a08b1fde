"""The legacy InferenceProviderConfig migration (SPEC-core §8.1): every branch of the pure decision,
plus the runner's backoff schedule and conflict policy."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator import migration
from airunway_operator.migration import Kind
from airunway_operator.reconcile.migration import Backoff, retry_on_conflict

GATEWAY = {"managesInferencePool": True, "inferencePoolNamePattern": "{name}-pool"}


def caps(*modifiers: Callable[[dict[str, Any]], None], **fields: Any) -> dict[str, Any]:
    """Capabilities built from keyword fields, then changed by modifiers."""
    result = dict(fields)
    for modify in modifiers:
        modify(result)
    return result


def with_full_legacy(c: dict[str, Any]) -> None:
    c.update(
        servingModes=["aggregated", "disaggregated"],
        gpuSupport=True,
        cpuSupport=True,
        requiresCRD=False,
        gateway=copy.deepcopy(GATEWAY),
    )


def with_gpu_only(c: dict[str, Any]) -> None:
    c["gpuSupport"] = True


@pytest.mark.parametrize(
    ("capabilities", "kind", "expected"),
    [
        # -- nothing to do
        pytest.param({}, Kind.UNCHANGED, None, id="empty capabilities are unchanged"),
        pytest.param(
            caps(engines=[{"name": "vllm", "gpuSupport": True}]),
            Kind.UNCHANGED,
            None,
            id="per-engine capabilities without legacy keys are unchanged",
        ),
        pytest.param(
            caps(engines=[], foo="bar"), Kind.UNCHANGED, None, id="no engines and no legacy keys is unchanged"
        ),
        # -- engines missing or empty: cleaned
        pytest.param(
            caps(with_full_legacy),
            Kind.CLEANED,
            {},
            id="legacy keys without engines are deleted",
        ),
        pytest.param(
            caps(with_gpu_only, engines=[], foo={"keep": 1}),
            Kind.CLEANED,
            {"engines": [], "foo": {"keep": 1}},
            id="legacy keys beside an empty engines list are deleted and other keys kept",
        ),
        pytest.param(
            caps(engines=None, gpuSupport=None),
            Kind.CLEANED,
            {"engines": None},
            id="a null legacy key beside null engines still counts as present",
        ),
        # -- engines as objects: hoisted
        pytest.param(
            caps(with_full_legacy, engines=[{"name": "vllm"}, {"name": "sglang"}]),
            Kind.HOISTED,
            {
                "engines": [
                    {
                        "name": "vllm",
                        "gpuSupport": True,
                        "cpuSupport": True,
                        "servingModes": ["aggregated", "disaggregated"],
                        "requiresCRD": False,
                        "gateway": GATEWAY,
                    },
                    {
                        "name": "sglang",
                        "gpuSupport": True,
                        "cpuSupport": True,
                        "servingModes": ["aggregated", "disaggregated"],
                        "requiresCRD": False,
                        "gateway": GATEWAY,
                    },
                ]
            },
            id="every legacy value is hoisted into every engine",
        ),
        pytest.param(
            caps(
                with_full_legacy,
                engines=[
                    {
                        "name": "vllm",
                        "gpuSupport": False,
                        "cpuSupport": False,
                        "servingModes": ["aggregated"],
                        "requiresCRD": True,
                        "gateway": {"ignoresServedName": True},
                        "apiFormats": ["openai-chat"],
                    }
                ],
            ),
            Kind.HOISTED,
            {
                "engines": [
                    {
                        "name": "vllm",
                        "gpuSupport": False,
                        "cpuSupport": False,
                        "servingModes": ["aggregated"],
                        "requiresCRD": True,
                        "gateway": {"ignoresServedName": True},
                        "apiFormats": ["openai-chat"],
                    }
                ]
            },
            id="values an engine already has win over legacy values, which are still deleted",
        ),
        pytest.param(
            caps(with_gpu_only, engines=[{"name": "vllm"}]),
            Kind.HOISTED,
            {"engines": [{"name": "vllm", "gpuSupport": True, "cpuSupport": False}]},
            id="an absent legacy bool is hoisted as false and absent optional values are not invented",
        ),
        pytest.param(
            caps(engines=[{"name": "vllm"}], servingModes=[], gateway={}, requiresCRD=True),
            Kind.HOISTED,
            {"engines": [{"name": "vllm", "gpuSupport": False, "cpuSupport": False, "requiresCRD": True}]},
            id="empty legacy serving modes and gateway are not hoisted but a present requiresCRD is",
        ),
        pytest.param(
            caps(
                engines=[{"name": "vllm"}], gpuSupport="yes", requiresCRD="no", servingModes=[1], gateway="x"
            ),
            Kind.HOISTED,
            {"engines": [{"name": "vllm", "gpuSupport": False, "cpuSupport": False}]},
            id="legacy values of the wrong type count as absent",
        ),
        pytest.param(
            caps(with_gpu_only, engines=[{"name": "vllm"}], future={"a": 1}),
            Kind.HOISTED,
            {"engines": [{"name": "vllm", "gpuSupport": True, "cpuSupport": False}], "future": {"a": 1}},
            id="hoisting keeps other capabilities keys",
        ),
        pytest.param(
            caps(with_gpu_only, engines=[{"name": "vllm"}, "sglang"]),
            Kind.ERROR,
            "spec.capabilities.engines[1]",
            id="a name among engine objects is an error",
        ),
        # -- engines as names: migrated
        pytest.param(
            caps(with_full_legacy, engines=["vllm", "sglang"]),
            Kind.MIGRATED,
            {
                "engines": [
                    {
                        "name": "vllm",
                        "gpuSupport": True,
                        "cpuSupport": True,
                        "servingModes": ["aggregated", "disaggregated"],
                        "requiresCRD": False,
                        "gateway": GATEWAY,
                    },
                    {
                        "name": "sglang",
                        "gpuSupport": True,
                        "cpuSupport": True,
                        "servingModes": ["aggregated", "disaggregated"],
                        "requiresCRD": False,
                        "gateway": GATEWAY,
                    },
                ]
            },
            id="engine names become engine objects carrying every legacy value",
        ),
        pytest.param(
            caps(engines=["llamacpp"]),
            Kind.MIGRATED,
            {"engines": [{"name": "llamacpp", "gpuSupport": False, "cpuSupport": False}]},
            id="engine names without legacy keys become objects with both bools false",
        ),
        pytest.param(
            caps(engines=["vllm"], cpuSupport=True, servingModes=[], future="kept"),
            Kind.MIGRATED,
            {"engines": [{"name": "vllm", "gpuSupport": False, "cpuSupport": True}], "future": "kept"},
            id="migration keeps other keys and skips empty serving modes",
        ),
        pytest.param(
            caps(with_gpu_only, engines=["vllm", {"name": "sglang"}]),
            Kind.ERROR,
            "spec.capabilities.engines[1]",
            id="an object among engine names is an error",
        ),
        # -- malformed engines
        pytest.param(
            caps(with_gpu_only, engines="vllm"),
            Kind.ERROR,
            "spec.capabilities.engines is a string, not a list",
            id="engines that are not a list are an error",
        ),
        pytest.param(
            caps(with_gpu_only, engines=[7]),
            Kind.ERROR,
            "spec.capabilities.engines[0]",
            id="a number as first engine is treated as object form and is an error",
        ),
    ],
)
def test_migrate(capabilities: dict[str, Any], kind: Kind, expected: Any) -> None:
    before = copy.deepcopy(capabilities)

    outcome = migration.migrate(capabilities)

    assert outcome.kind is kind
    assert capabilities == before, "the input was mutated"
    if kind is Kind.ERROR:
        assert outcome.capabilities is None
        assert outcome.error is not None
        assert outcome.error.startswith(expected)
    else:
        assert outcome.error is None
        assert outcome.capabilities == expected
        assert outcome.changed is (expected is not None)


def test_every_engine_gets_its_own_copy_of_legacy_values() -> None:
    outcome = migration.migrate(caps(with_full_legacy, engines=["vllm", "sglang"]))

    assert outcome.capabilities is not None
    first, second = outcome.capabilities["engines"]
    assert first["gateway"] is not second["gateway"]
    assert first["servingModes"] is not second["servingModes"]


def test_a_migrated_result_needs_no_further_migration() -> None:
    outcome = migration.migrate(caps(with_full_legacy, engines=["vllm"]))

    assert outcome.capabilities is not None
    assert migration.migrate(outcome.capabilities).kind is Kind.UNCHANGED


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no spec"),
        pytest.param({"spec": "text"}, id="spec that is not an object"),
        pytest.param({"spec": {}}, id="no capabilities"),
        pytest.param({"spec": {"capabilities": ["vllm"]}}, id="capabilities that are not an object"),
    ],
)
def test_objects_without_usable_capabilities_are_untouched(body: dict[str, Any]) -> None:
    assert migration.migrate_body(body) == migration.UNCHANGED


def test_with_capabilities_replaces_only_capabilities() -> None:
    body: dict[str, Any] = {
        "metadata": {"name": "kaito", "resourceVersion": "7"},
        "spec": {"capabilities": {"engines": ["vllm"]}, "selectionRules": [{"condition": "true"}]},
        "status": {"ready": True},
    }
    before = copy.deepcopy(body)

    result = migration.with_capabilities(body, {"engines": [{"name": "vllm"}]})

    assert body == before
    assert result == {**before, "spec": {**before["spec"], "capabilities": {"engines": [{"name": "vllm"}]}}}


# -- runner policies ------------------------------------------------------------------------


def test_list_backoff_pauses_double_from_one_second_with_at_most_ten_percent_jitter() -> None:
    backoff = Backoff()

    assert backoff.delays(rand=lambda: 0.0) == [1.0, 2.0, 4.0, 8.0]
    assert backoff.delays(rand=lambda: 1.0) == pytest.approx([1.1, 2.2, 4.4, 8.8])


def test_list_backoff_pauses_are_capped() -> None:
    assert Backoff(attempts=8).delays(rand=lambda: 0.0)[-3:] == [16.0, 16.0, 16.0]


def _conflicting(conflicts: int) -> tuple[list[int], Callable[[], Any]]:
    calls: list[int] = []

    async def step() -> str:
        calls.append(1)
        if len(calls) <= conflicts:
            raise ApiException(status=409, reason="Conflict")
        return "done"

    return calls, step


def test_a_conflict_is_retried_with_a_fresh_attempt() -> None:
    calls, step = _conflicting(2)

    assert asyncio.run(retry_on_conflict(step, attempts=5, delay=0)) == "done"
    assert len(calls) == 3


def test_a_conflict_that_outlives_the_retries_gives_none() -> None:
    calls, step = _conflicting(99)

    assert asyncio.run(retry_on_conflict(step, attempts=5, delay=0)) is None
    assert len(calls) == 5


def test_errors_other_than_conflict_are_not_retried() -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(1)
        raise ApiException(status=422, reason="Invalid")

    with pytest.raises(ApiException):
        asyncio.run(retry_on_conflict(step, attempts=5, delay=0))
    assert len(calls) == 1
