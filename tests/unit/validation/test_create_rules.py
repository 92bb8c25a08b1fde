"""Every CREATE rule of SPEC-core §2.3 (rows 1-14, 16, 17), each rejected and accepted at least once."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.validation import admission, lookup
from airunway_operator.validation.lookup import Found, ProviderLookup
from airunway_operator.validation.result import ErrorKind
from tests.unit.validation.builders import DELETE, assert_rejected, engine, ipc, md

MOCKER = {"airunway.ai/dynamo-test-backend": "mocker"}
VLLM = ipc("vllm", engine("vllm"))
KAITO = ipc("kaito", engine("vllm"), engine("llamacpp", cpu=True))
DYNAMO = ipc(
    "dynamo",
    engine("vllm", modes=("aggregated", "disaggregated")),
    engine("sglang", modes=("aggregated", "disaggregated")),
    engine("trtllm"),
)
DISAGG: dict[str, Any] = {
    "serving__mode": "disaggregated",
    "scaling__prefill": {"replicas": 1, "gpu": {"count": 1}},
    "scaling__decode": {"replicas": 1, "gpu": {"count": 1}},
}
NO_LOOKUP = lookup.NOT_LOOKED_UP

REJECTED = [
    pytest.param(
        md(name="qwen.v1"),
        NO_LOOKUP,
        "metadata.name",
        ErrorKind.INVALID,
        ("dots",),
        id="a dotted name is rejected",
    ),
    pytest.param(
        md(image="a:1", engine__image="b:1"),
        NO_LOOKUP,
        "spec.engine.image",
        ErrorKind.INVALID,
        ("'b:1'", "'a:1'", "conflicts"),
        id="different legacy and engine images conflict",
    ),
    pytest.param(
        md(engine__args={"max-model-len": "2048"}, engine__extraArgs=["--max-model-len=4096"]),
        NO_LOOKUP,
        "spec.engine.extraArgs",
        ErrorKind.INVALID,
        ("--max-model-len", "spec.engine.args"),
        id="a flag in both args and extraArgs (with =value) is rejected",
    ),
    pytest.param(
        md(engine__args={"enforce-eager": ""}, engine__extraArgs=["--enforce-eager"]),
        NO_LOOKUP,
        "spec.engine.extraArgs",
        ErrorKind.INVALID,
        ("--enforce-eager",),
        id="a bare flag in both args and extraArgs is rejected",
    ),
    pytest.param(
        md(engine__args={"seed": "1"}, engine__extraArgs=["-- seed = 2"]),
        NO_LOOKUP,
        "spec.engine.extraArgs",
        ErrorKind.INVALID,
        ("seed",),
        id="the flag name is trimmed before comparing",
    ),
    pytest.param(
        md(model__id=DELETE),
        NO_LOOKUP,
        "spec.model.id",
        ErrorKind.REQUIRED,
        ("huggingface",),
        id="a model id is required for the default huggingface source",
    ),
    pytest.param(
        md(model__id="", model__source="huggingface"),
        NO_LOOKUP,
        "spec.model.id",
        ErrorKind.REQUIRED,
        ("spec.model.id",),
        id="an empty model id counts as missing",
    ),
    pytest.param(
        md(annotations=MOCKER, provider__name="dynamo", engine__type="sglang"),
        NO_LOOKUP,
        "spec.engine.type",
        ErrorKind.INVALID,
        ("mocker", "vllm"),
        id="the Dynamo mocker rejects engines other than vllm",
    ),
    pytest.param(
        md(**DISAGG, resources__gpu__count=1),
        NO_LOOKUP,
        "spec.resources.gpu",
        ErrorKind.INVALID,
        ("disaggregated", "spec.scaling.prefill.gpu"),
        id="disaggregated mode rejects GPUs in spec.resources",
    ),
    pytest.param(
        md(serving__mode="disaggregated"),
        NO_LOOKUP,
        "spec.scaling",
        ErrorKind.REQUIRED,
        ("disaggregated",),
        id="disaggregated mode requires scaling",
    ),
    pytest.param(
        md(serving__mode="disaggregated", scaling__decode={"gpu": {"count": 1}}),
        NO_LOOKUP,
        "spec.scaling.prefill",
        ErrorKind.REQUIRED,
        ("prefill",),
        id="disaggregated mode requires a prefill pool",
    ),
    pytest.param(
        md(serving__mode="disaggregated", scaling__prefill={"gpu": {"count": 1}}),
        NO_LOOKUP,
        "spec.scaling.decode",
        ErrorKind.REQUIRED,
        ("decode",),
        id="disaggregated mode requires a decode pool",
    ),
    pytest.param(
        md(
            serving__mode="disaggregated",
            scaling__prefill={"replicas": 1},
            scaling__decode={"gpu": {"count": 1}},
        ),
        NO_LOOKUP,
        "spec.scaling.prefill.gpu.count",
        ErrorKind.REQUIRED,
        ("greater than 0",),
        id="a prefill pool without GPUs is rejected",
    ),
    pytest.param(
        md(
            serving__mode="disaggregated", scaling__prefill={"gpu": {"count": 1}}, scaling__decode={"gpu": {}}
        ),
        NO_LOOKUP,
        "spec.scaling.decode.gpu.count",
        ErrorKind.REQUIRED,
        ("greater than 0",),
        id="a decode pool with zero GPUs is rejected",
    ),
    pytest.param(
        md(resources__gpu__count=65),
        NO_LOOKUP,
        "spec.resources.gpu.count",
        ErrorKind.INVALID,
        ("65", "64"),
        id="more than 64 GPUs are rejected",
    ),
    pytest.param(
        md(scaling__replicas=33),
        NO_LOOKUP,
        "spec.scaling.replicas",
        ErrorKind.INVALID,
        ("33", "32"),
        id="more than 32 replicas are rejected",
    ),
    pytest.param(
        md(**{**DISAGG, "scaling__prefill": {"replicas": 33, "gpu": {"count": 1}}}),
        NO_LOOKUP,
        "spec.scaling.prefill.replicas",
        ErrorKind.INVALID,
        ("32",),
        id="more than 32 prefill replicas are rejected",
    ),
    pytest.param(
        md(**{**DISAGG, "scaling__decode": {"gpu": {"count": 65}}}),
        NO_LOOKUP,
        "spec.scaling.decode.gpu.count",
        ErrorKind.INVALID,
        ("64",),
        id="more than 64 decode GPUs are rejected",
    ),
    pytest.param(
        md(resources__cpu="513"),
        NO_LOOKUP,
        "spec.resources.cpu",
        ErrorKind.INVALID,
        ("512",),
        id="more than 512 CPUs are rejected",
    ),
    pytest.param(
        md(resources__cpu="four"),
        NO_LOOKUP,
        "spec.resources.cpu",
        ErrorKind.INVALID,
        ("not a valid resource quantity",),
        id="an unparsable CPU quantity is rejected",
    ),
    pytest.param(
        md(resources__memory="4097Gi"),
        NO_LOOKUP,
        "spec.resources.memory",
        ErrorKind.INVALID,
        ("4Ti",),
        id="more than 4Ti of memory is rejected",
    ),
    pytest.param(
        md(**{**DISAGG, "scaling__prefill": {"gpu": {"count": 1}, "memory": "5e12"}}),
        NO_LOOKUP,
        "spec.scaling.prefill.memory",
        ErrorKind.INVALID,
        ("4Ti",),
        id="more than 4Ti of prefill memory is rejected",
    ),
    pytest.param(
        md(**{**DISAGG, "scaling__decode": {"gpu": {"count": 1}, "memory": "1.5.5Gi"}}),
        NO_LOOKUP,
        "spec.scaling.decode.memory",
        ErrorKind.INVALID,
        ("not a valid resource quantity",),
        id="an unparsable decode memory quantity is rejected",
    ),
]


@pytest.mark.parametrize(("body", "found", "path", "kind", "words"), REJECTED)
def test_rejects(
    body: dict[str, Any], found: ProviderLookup, path: str, kind: ErrorKind, words: tuple[str, ...]
):
    verdict = admission.validate_create(body, found)
    assert not verdict.allowed
    assert_rejected(verdict, path, kind, *words)


ACCEPTED = [
    pytest.param(md(), NO_LOOKUP, id="the minimal spec is accepted"),
    pytest.param(md(name="qwen-v1"), NO_LOOKUP, id="a dashed name is accepted"),
    pytest.param(
        md(image="a:1", engine__image="a:1"), NO_LOOKUP, id="equal legacy and engine images are accepted"
    ),
    pytest.param(
        md(engine__args={"seed": "1"}, engine__extraArgs=["--max-model-len=4096", "-seed", "seed"]),
        NO_LOOKUP,
        id="extraArgs that repeat no args key are accepted",
    ),
    pytest.param(md(model__id=DELETE, model__source="custom"), NO_LOOKUP, id="a custom model needs no id"),
    pytest.param(
        md(annotations=MOCKER, provider__name="dynamo", engine__type="vllm"),
        NO_LOOKUP,
        id="the Dynamo mocker accepts vllm without GPUs",
    ),
    pytest.param(
        md(annotations=MOCKER, provider__name="dynamo"),
        NO_LOOKUP,
        id="the Dynamo mocker accepts an empty engine",
    ),
    pytest.param(
        md(
            annotations=MOCKER,
            provider__name="dynamo",
            serving__mode="disaggregated",
            scaling__prefill={},
            scaling__decode={},
        ),
        NO_LOOKUP,
        id="the Dynamo mocker waives the per-pool GPU requirement",
    ),
    pytest.param(
        md(annotations=MOCKER, provider__name="kaito", engine__type="sglang"),
        Found(DYNAMO),
        id="the mocker annotation without provider dynamo is not the mocker",
    ),
    pytest.param(md(**DISAGG), NO_LOOKUP, id="a complete disaggregated spec is accepted"),
    pytest.param(
        md(**DISAGG, resources__gpu__count=0),
        NO_LOOKUP,
        id="disaggregated mode accepts zero GPUs in spec.resources",
    ),
    pytest.param(
        md(resources__gpu__count=64, scaling__replicas=32, resources__cpu="512", resources__memory="4Ti"),
        NO_LOOKUP,
        id="values equal to their ceilings are accepted",
    ),
    pytest.param(
        md(resources__cpu="512000m", resources__memory="4096Gi"),
        NO_LOOKUP,
        id="ceilings compare quantity values",
    ),
    pytest.param(
        md(**{**DISAGG, "scaling__prefill": {"replicas": 32, "gpu": {"count": 64}, "memory": "4Ti"}}),
        NO_LOOKUP,
        id="pool values equal to their ceilings are accepted",
    ),
]


@pytest.mark.parametrize(("body", "found"), ACCEPTED)
def test_accepts(body: dict[str, Any], found: ProviderLookup):
    verdict = admission.validate_create(body, found)
    assert verdict.allowed, verdict.message()


def test_a_dotted_name_is_accepted_on_update():
    body = md(name="qwen.v1")
    assert admission.validate_update(body, body, NO_LOOKUP).allowed


def test_all_problems_are_reported_at_once():
    body = md(
        name="a.b",
        model__id=DELETE,
        image="a",
        engine__image="b",
        resources__cpu="600",
        provider__overrides={"replicas": 3},
    )
    verdict = admission.validate_create(body, NO_LOOKUP)
    assert [e.path for e in verdict.errors] == [
        "metadata.name",
        "spec.engine.image",
        "spec.model.id",
        "spec.provider.overrides.replicas",
        "spec.resources.cpu",
    ]
    message = verdict.message()
    assert message.startswith("ModelDeployment a.b is invalid: 5 problems: 1) metadata.name 'a.b' ")
    for number, error in enumerate(verdict.errors, start=1):
        assert f"{number}) {error.path} " in message
        assert message.count(f"{error.path}: {error.path}") == 0


def test_a_non_object_overrides_does_not_hide_other_problems():
    body = md(engine__type="vllm", provider__overrides=["not", "an", "object"], resources__cpu="600")
    verdict = admission.validate_create(body, NO_LOOKUP)
    assert [e.path for e in verdict.errors] == ["spec.provider.overrides", "spec.resources.cpu"]


def test_ceilings_are_reported_with_the_name_check():
    # Whether a bound comes from the typed model (schema) or from the rule, both are reported.
    body = md(name="a.b", engine__type="vllm", resources__gpu__count=70, scaling__replicas=40)
    verdict = admission.validate_create(body, NO_LOOKUP)
    assert {e.path for e in verdict.errors} == {
        "metadata.name",
        "spec.scaling.replicas",
        "spec.resources.gpu.count",
    }
