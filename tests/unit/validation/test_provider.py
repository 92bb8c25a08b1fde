"""Rule 10 and SPEC-core §2.7: which provider is looked up, what each lookup outcome means, and the
shared compatibility helper of §2.10 (including the reconciler's list-based CPU check)."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.constants import EngineType, ServingMode
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.validation import admission, compatibility, lookup
from airunway_operator.validation.lookup import Found, ProviderLookup
from airunway_operator.validation.result import ErrorKind
from tests.unit.validation.builders import assert_rejected, engine, ipc, md

MOCKER = {"airunway.ai/dynamo-test-backend": "mocker"}
VLLM = ipc("vllm", engine("vllm"))
KAITO = ipc("kaito", engine("vllm"), engine("llamacpp", cpu=True))
LLMD = ipc("llmd", engine("vllm", modes=("aggregated", "disaggregated")))
NO_MODES = ipc("odd", engine("vllm", modes=()))
BARE = ipc("bare", capabilities=False)
EMPTY_ENGINES = ipc("empty")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            md(provider__name="kaito", engine__type="vllm"), "kaito", id="provider and engine are looked up"
        ),
        pytest.param(md(provider__name="kaito"), None, id="a provider without engine is not looked up"),
        pytest.param(md(engine__type="vllm"), None, id="an engine without provider is not looked up"),
        pytest.param(
            md(provider__name="", engine__type="vllm"), None, id="an empty provider name is not looked up"
        ),
        pytest.param(
            md(annotations=MOCKER, provider__name="dynamo", engine__type="vllm"),
            None,
            id="the Dynamo mocker is not looked up",
        ),
        pytest.param(
            md(annotations=MOCKER, provider__name="kaito", engine__type="vllm"),
            "kaito",
            id="the mocker annotation on another provider does not prevent the lookup",
        ),
        pytest.param(
            md(provider__name="kaito", engine__type="nope"), None, id="an unparsable spec is not looked up"
        ),
        pytest.param({"spec": "nothing"}, None, id="a body without a spec object is not looked up"),
    ],
)
def test_provider_to_look_up(body: dict[str, Any], expected: str | None):
    assert admission.provider_to_look_up(body) == expected


NAMED = md(provider__name="kaito", engine__type="vllm", resources__gpu__count=1)


def test_a_missing_provider_config_is_rejected():
    verdict = admission.validate_create(NAMED, lookup.NOT_FOUND)
    assert_rejected(verdict, "spec.provider.name", ErrorKind.INVALID, "'kaito'", "InferenceProviderConfig")


def test_a_forbidden_lookup_is_an_internal_error():
    verdict = admission.validate_create(NAMED, lookup.Forbidden("403"))
    assert_rejected(
        verdict, "spec.provider.name", ErrorKind.INTERNAL, "could not be verified", "inferenceproviderconfigs"
    )
    assert verdict.has_internal_error


def test_a_missing_provider_crd_skips_the_check():
    verdict = admission.validate_create(NAMED, lookup.NOT_INSTALLED)
    assert verdict.allowed
    assert verdict.warnings == ()


def test_an_unavailable_lookup_admits_with_a_warning():
    verdict = admission.validate_create(NAMED, lookup.Unavailable("connection refused"))
    assert verdict.allowed
    assert len(verdict.warnings) == 1
    assert "'kaito'" in verdict.warnings[0]
    assert "connection refused" in verdict.warnings[0]
    assert "controller" in verdict.warnings[0]


def test_a_lookup_outcome_is_ignored_when_no_lookup_was_needed():
    verdict = admission.validate_create(md(provider__name="kaito"), lookup.NOT_FOUND)
    assert verdict.allowed, verdict.message()


def test_an_unknown_provider_without_engine_is_admitted():
    assert admission.validate_create(md(provider__name="nobody"), lookup.NOT_LOOKED_UP).allowed


COMPATIBILITY_REJECTED = [
    pytest.param(
        md(provider__name="vllm", engine__type="sglang", resources__gpu__count=1),
        Found(VLLM),
        "spec.engine.type",
        ("'sglang'", "'vllm'", "choose one of vllm"),
        id="an engine the provider does not offer is rejected",
    ),
    pytest.param(
        md(provider__name="empty", engine__type="vllm", resources__gpu__count=1),
        Found(EMPTY_ENGINES),
        "spec.engine.type",
        ("choose another provider",),
        id="capabilities without engines support no engine",
    ),
    pytest.param(
        md(
            provider__name="vllm",
            engine__type="vllm",
            serving__mode="disaggregated",
            scaling__prefill={"gpu": {"count": 1}},
            scaling__decode={"gpu": {"count": 1}},
        ),
        Found(VLLM),
        "spec.serving.mode",
        ("'disaggregated'", "use aggregated"),
        id="a serving mode the provider does not offer for the engine is rejected",
    ),
    pytest.param(
        md(provider__name="odd", engine__type="vllm", resources__gpu__count=1),
        Found(NO_MODES),
        "spec.serving.mode",
        ("'aggregated'",),
        id="an empty serving mode list supports no mode",
    ),
    pytest.param(
        md(provider__name="vllm", engine__type="vllm", resources__gpu__count=0),
        Found(VLLM),
        "spec.resources.gpu.count",
        ("requires GPU", "set spec.resources.gpu.count > 0"),
        id="an explicit zero GPU count on a GPU-only engine is rejected",
    ),
    pytest.param(
        md(provider__name="vllm", engine__type="vllm", resources__memory="16Gi"),
        Found(VLLM),
        "spec.resources.gpu.count",
        ("requires GPU",),
        id="spec.resources without gpu gets no GPU default",
    ),
    pytest.param(
        md(provider__name="vllm", engine__type="vllm", image="my/vllm:1"),
        Found(VLLM),
        "spec.resources.gpu.count",
        ("requires GPU",),
        id="a legacy image suppresses the GPU default",
    ),
]


@pytest.mark.parametrize(("body", "found", "path", "words"), COMPATIBILITY_REJECTED)
def test_compatibility_rejects(
    body: dict[str, Any], found: ProviderLookup, path: str, words: tuple[str, ...]
):
    assert_rejected(admission.validate_create(body, found), path, ErrorKind.INVALID, *words)


COMPATIBILITY_ACCEPTED = [
    pytest.param(
        md(provider__name="vllm", engine__type="vllm"),
        Found(VLLM),
        id="the GPU default satisfies a GPU-only engine when resources are absent",
    ),
    pytest.param(
        md(provider__name="vllm", engine__type="vllm", engine__image="my/vllm:1"),
        Found(VLLM),
        id="an engine image does not suppress the GPU default",
    ),
    pytest.param(
        md(provider__name="kaito", engine__type="llamacpp"),
        Found(KAITO),
        id="a CPU-capable engine needs no GPU",
    ),
    pytest.param(
        md(
            provider__name="llmd",
            engine__type="vllm",
            serving__mode="disaggregated",
            scaling__prefill={"gpu": {"count": 1}},
            scaling__decode={"gpu": {"count": 1}},
        ),
        Found(LLMD),
        id="a disaggregated deployment needs no GPUs in spec.resources",
    ),
    pytest.param(
        md(provider__name="bare", engine__type="sglang", resources__gpu__count=0),
        Found(BARE),
        id="a provider config without capabilities is not checked",
    ),
]


@pytest.mark.parametrize(("body", "found"), COMPATIBILITY_ACCEPTED)
def test_compatibility_accepts(body: dict[str, Any], found: ProviderLookup):
    verdict = admission.validate_create(body, found)
    assert verdict.allowed, verdict.message()


def _check(
    provider: str | None,
    config: InferenceProviderConfig | None,
    configs: tuple[InferenceProviderConfig, ...] = (),
    engine_type: EngineType | None = EngineType.VLLM,
    mode: ServingMode = ServingMode.AGGREGATED,
    gpus: int = 0,
) -> list[str]:
    errors = compatibility.check(
        provider=provider, config=config, configs=configs, engine=engine_type, mode=mode, gpu_count=gpus
    )
    return [e.path for e in errors]


@pytest.mark.parametrize(
    ("arguments", "paths"),
    [
        pytest.param(
            {"provider": None, "config": None, "configs": (VLLM, LLMD)},
            ["spec.resources.gpu.count"],
            id="without a provider no known provider runs the engine on CPU",
        ),
        pytest.param(
            {"provider": None, "config": None, "configs": (VLLM, KAITO), "engine_type": EngineType.LLAMACPP},
            [],
            id="without a provider one CPU-capable provider is enough",
        ),
        pytest.param(
            {"provider": None, "config": None}, [], id="without a provider and configs nothing is checked"
        ),
        pytest.param(
            {"provider": "gone", "config": None, "configs": (VLLM,)},
            [],
            id="a named provider without config is not checked",
        ),
        pytest.param({"provider": "vllm", "config": VLLM, "engine_type": None}, [], id="no engine, no check"),
        pytest.param(
            {"provider": None, "config": None, "configs": (VLLM,), "gpus": 1},
            [],
            id="a GPU request needs no CPU-capable provider",
        ),
        pytest.param(
            {"provider": "odd", "config": NO_MODES},
            ["spec.serving.mode", "spec.resources.gpu.count"],
            id="every problem of the named provider is returned",
        ),
        pytest.param(
            {"provider": "vllm", "config": VLLM, "engine_type": EngineType.TRTLLM},
            ["spec.engine.type"],
            id="a missing engine hides the mode and GPU checks",
        ),
    ],
)
def test_compatibility_helper(arguments: dict[str, Any], paths: list[str]):
    assert _check(**arguments) == paths


@pytest.mark.parametrize(
    ("provider", "config"), [pytest.param("vllm", VLLM, id="named"), pytest.param(None, None, id="unnamed")]
)
def test_gpu_compatibility_failures_say_requires_gpu(
    provider: str | None, config: InferenceProviderConfig | None
):
    """The words users and upstream's end-to-end tests look for."""
    errors = compatibility.check(
        provider=provider,
        config=config,
        configs=(VLLM,),
        engine=EngineType.VLLM,
        mode=ServingMode.AGGREGATED,
        gpu_count=0,
    )
    assert [error.path for error in errors] == ["spec.resources.gpu.count"]
    assert "requires GPU" in errors[0].message
