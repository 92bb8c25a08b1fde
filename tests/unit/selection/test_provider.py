"""Provider selection (SPEC-core §4.2, §4.4): the shipped rules, the worked examples, the rejection
chain, priorities and ties, rule errors, readiness and upstream's exact failure texts."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from airunway_operator.api.constants import EngineType, ServingMode
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.selection import capabilities, cel, celinput, provider
from airunway_operator.selection import engine as engines
from airunway_operator.selection.capabilities import Requirement, SelectionFailed
from airunway_operator.selection.cel import EvalError, Program
from airunway_operator.selection.provider import Demand, ProviderSelected, ProviderSource
from tests.unit.selection.builders import deployment, engine, ipc, shipped

ENGINE = cel.default_engine()
ERROR = "error"
DISAGGREGATED: dict[str, Any] = {
    "serving__mode": "disaggregated",
    "scaling__prefill": {"gpu": {"count": 1}},
    "scaling__decode": {"gpu": {"count": 1}},
}


def shipped_rule(name: str, index: int) -> str:
    config = next(config for config in shipped() if config.metadata.name == name)
    assert config.spec is not None
    assert config.spec.selection_rules is not None
    return config.spec.selection_rules[index].condition


def rule_result(text: str, md: ModelDeployment, resolved: EngineType) -> bool | str:
    program = ENGINE.compile(text)
    assert isinstance(program, Program), program
    result = ENGINE.evaluate(program, ENGINE.bind(celinput.build(md.spec, "qwen", resolved)))
    return ERROR if isinstance(result, EvalError) else result


def select(
    md: ModelDeployment, configs: tuple[InferenceProviderConfig, ...]
) -> ProviderSelected | SelectionFailed:
    """Engine then provider selection, as one reconcile runs them."""
    chosen = engines.select_engine(md, configs)
    assert isinstance(chosen, engines.EngineSelected), chosen
    return provider.select_provider(md, configs, chosen.engine)


# -- every shipped rule ----------------------------------------------------------------------------------

VLLM, SGLANG, TRTLLM, LLAMACPP = EngineType.VLLM, EngineType.SGLANG, EngineType.TRTLLM, EngineType.LLAMACPP


@pytest.mark.parametrize(
    ("name", "index", "md", "resolved", "expected"),
    [
        pytest.param(
            "kaito",
            0,
            deployment(resources__cpu="4"),
            LLAMACPP,
            True,
            id="KAITO CPU rule: resources without gpu match",
        ),
        pytest.param(
            "kaito", 0, deployment(), LLAMACPP, ERROR, id="KAITO CPU rule: no resources is an error"
        ),
        pytest.param(
            "kaito",
            0,
            deployment(resources__gpu__count=0),
            LLAMACPP,
            ERROR,
            id="KAITO CPU rule: GPU count 0 is omitted, so an error",
        ),
        pytest.param(
            "kaito",
            0,
            deployment(resources__gpu__count=1),
            VLLM,
            False,
            id="KAITO CPU rule: a GPU does not match",
        ),
        pytest.param(
            "kaito",
            0,
            deployment(engine__type="vllm"),
            VLLM,
            False,
            id="KAITO CPU rule: the defaulted GPU does not match",
        ),
        pytest.param(
            "kaito", 1, deployment(), LLAMACPP, True, id="KAITO llama.cpp rule: the resolved engine matches"
        ),
        pytest.param(
            "kaito",
            1,
            deployment(engine__type="vllm"),
            VLLM,
            False,
            id="KAITO llama.cpp rule: vLLM does not match",
        ),
        pytest.param(
            "dynamo",
            0,
            deployment(engine__type="trtllm"),
            TRTLLM,
            True,
            id="Dynamo TensorRT-LLM rule matches trtllm",
        ),
        pytest.param(
            "dynamo",
            0,
            deployment(engine__type="vllm"),
            VLLM,
            False,
            id="Dynamo TensorRT-LLM rule ignores vllm",
        ),
        pytest.param(
            "dynamo",
            1,
            deployment(engine__type="sglang"),
            SGLANG,
            True,
            id="Dynamo SGLang rule matches sglang",
        ),
        pytest.param("dynamo", 1, deployment(), LLAMACPP, False, id="Dynamo SGLang rule ignores llamacpp"),
        pytest.param(
            "dynamo",
            2,
            deployment(engine__type="vllm", **DISAGGREGATED),
            VLLM,
            True,
            id="Dynamo disaggregated rule matches",
        ),
        pytest.param(
            "dynamo",
            2,
            deployment(engine__type="vllm"),
            VLLM,
            False,
            id="Dynamo disaggregated rule: the defaulted serving is aggregated",
        ),
        pytest.param(
            "dynamo",
            3,
            deployment(engine__type="vllm"),
            VLLM,
            True,
            id="Dynamo vLLM rule: the defaulted GPU matches",
        ),
        pytest.param(
            "dynamo",
            3,
            deployment(engine__type="sglang"),
            SGLANG,
            False,
            id="Dynamo vLLM rule ignores sglang",
        ),
        pytest.param(
            "dynamo",
            3,
            deployment(engine__type="vllm", resources__gpu__count=0),
            VLLM,
            ERROR,
            id="Dynamo vLLM rule: GPU count 0 is an error",
        ),
        pytest.param(
            "dynamo",
            3,
            deployment(engine__type="vllm", **DISAGGREGATED),
            VLLM,
            ERROR,
            id="Dynamo vLLM rule: no resources is an error",
        ),
        pytest.param(
            "kuberay",
            0,
            deployment(engine__type="vllm", resources__gpu__count=2),
            VLLM,
            True,
            id="KubeRay rule matches two GPUs",
        ),
        pytest.param(
            "kuberay", 0, deployment(engine__type="vllm"), VLLM, False, id="KubeRay rule ignores one GPU"
        ),
        pytest.param(
            "kuberay",
            0,
            deployment(engine__type="sglang", resources__gpu__count=4),
            SGLANG,
            False,
            id="KubeRay rule ignores sglang",
        ),
        pytest.param(
            "kuberay",
            0,
            deployment(engine__type="vllm", **DISAGGREGATED),
            VLLM,
            ERROR,
            id="KubeRay rule: no resources is an error",
        ),
    ],
)
def test_shipped_rules(
    name: str, index: int, md: ModelDeployment, resolved: EngineType, expected: bool | str
):
    assert rule_result(shipped_rule(name, index), md, resolved) == expected


# -- SPEC-core §4.4 worked examples, all five providers ready --------------------------------------------


@pytest.mark.parametrize(
    ("md", "winner", "priorities"),
    [
        pytest.param(
            deployment(), "kaito", {"kaito": 100}, id="no resources and no engine go to KAITO llama.cpp"
        ),
        pytest.param(
            deployment(engine__type="vllm"),
            "dynamo",
            {"dynamo": 50, "kaito": 0, "kuberay": 0, "llmd": 0, "vllm": 0},
            id="vLLM with the defaulted GPU goes to Dynamo",
        ),
        pytest.param(
            deployment(engine__type="vllm", resources__gpu__count=2),
            "kuberay",
            {"dynamo": 50, "kaito": 0, "kuberay": 80, "llmd": 0, "vllm": 0},
            id="vLLM with two GPUs goes to KubeRay",
        ),
        pytest.param(
            deployment(engine__type="vllm", **DISAGGREGATED),
            "dynamo",
            {"dynamo": 90, "kuberay": 0, "llmd": 0},
            id="disaggregated vLLM goes to Dynamo",
        ),
        pytest.param(
            deployment(engine__type="sglang"), "dynamo", {"dynamo": 100}, id="SGLang goes to Dynamo"
        ),
        pytest.param(
            deployment(engine__type="trtllm"), "dynamo", {"dynamo": 100}, id="TensorRT-LLM goes to Dynamo"
        ),
        pytest.param(
            deployment(engine__type="llamacpp"),
            "kaito",
            {"kaito": 100},
            id="explicit llama.cpp goes to KAITO",
        ),
        pytest.param(
            deployment(engine__type="llamacpp", resources__gpu__count=1),
            "kaito",
            {"kaito": 100},
            id="llama.cpp on a GPU goes to KAITO",
        ),
    ],
)
def test_worked_examples(md: ModelDeployment, winner: str, priorities: dict[str, int]):
    result = select(md, shipped())
    assert isinstance(result, ProviderSelected), result
    ranked = priorities[winner] if len(priorities) > 1 else None  # a single candidate needs no ranking
    assert (result.provider, result.source, result.priority) == (winner, ProviderSource.AUTO, ranked)
    resolved = engines.select_engine(md, shipped())
    assert isinstance(resolved, engines.EngineSelected)
    demand = Demand(resolved.engine, capabilities.requirement(md.spec))
    candidates = [config for config in shipped() if provider.rejection(config, demand) is None]
    spec_value = celinput.build(md.spec, "qwen", resolved.engine)
    assert provider.candidate_priorities(candidates, spec_value, ENGINE) == priorities


def test_providers_without_rules_tie_alphabetically():
    """docs/providers.md calls rule-less providers explicit-only; upstream code ranks them at 0."""
    installed = tuple(config for config in shipped() if config.metadata.name in {"kaito", "llmd", "vllm"})
    result = select(deployment(engine__type="vllm"), installed)
    assert isinstance(result, ProviderSelected)
    assert (result.provider, result.priority) == ("kaito", 0)


@pytest.mark.parametrize(
    ("md", "reason"),
    [
        pytest.param(
            deployment(), "matched capabilities: engine=llamacpp, gpu=false, mode=aggregated", id="CPU"
        ),
        pytest.param(
            deployment(engine__type="vllm"),
            "matched capabilities: engine=vllm, gpu=true, mode=aggregated",
            id="GPU",
        ),
        pytest.param(
            deployment(engine__type="vllm", **DISAGGREGATED),
            "matched capabilities: engine=vllm, gpu=true, mode=disaggregated",
            id="disaggregated",
        ),
    ],
)
def test_selected_reason_is_upstreams(md: ModelDeployment, reason: str):
    result = select(md, shipped())
    assert isinstance(result, ProviderSelected)
    assert result.reason == reason


@pytest.mark.parametrize("order", list(itertools.permutations(range(5)))[::17])
def test_list_order_does_not_matter(order: tuple[int, ...]):
    configs = shipped()
    reordered = tuple(configs[index] for index in order)
    for md in (
        deployment(),
        deployment(engine__type="vllm"),
        deployment(engine__type="vllm", resources__gpu__count=2),
    ):
        assert select(md, reordered) == select(md, configs)


# -- the rejection chain ---------------------------------------------------------------------------------

GPU_VLLM = Demand(VLLM, Requirement(has_gpu=True, mode=ServingMode.AGGREGATED))
CPU_VLLM = Demand(VLLM, Requirement(has_gpu=False, mode=ServingMode.AGGREGATED))
DISAGG_VLLM = Demand(VLLM, Requirement(has_gpu=True, mode=ServingMode.DISAGGREGATED))


@pytest.mark.parametrize(
    ("config", "demand", "reason"),
    [
        pytest.param(ipc("p", engine("vllm")), GPU_VLLM, None, id="a fitting provider is a candidate"),
        pytest.param(
            ipc("p", engine("vllm"), ready=False),
            GPU_VLLM,
            "not ready",
            id="a not-ready provider is rejected",
        ),
        pytest.param(
            ipc("p", engine("vllm"), ready=None),
            GPU_VLLM,
            "not ready",
            id="a provider without status is rejected",
        ),
        pytest.param(
            ipc("p", capabilities=False), GPU_VLLM, "declares no capabilities", id="no capabilities at all"
        ),
        pytest.param(ipc("p"), GPU_VLLM, "does not offer vllm", id="an empty engine list offers nothing"),
        pytest.param(
            ipc("p", engine("sglang")), GPU_VLLM, "does not offer vllm", id="another engine is not enough"
        ),
        pytest.param(
            ipc("p", engine("vllm", gpu=False, cpu=True)),
            GPU_VLLM,
            "vllm has no GPU support",
            id="GPU needs gpuSupport",
        ),
        pytest.param(
            ipc("p", engine("vllm", gpu=None, cpu=True)),
            GPU_VLLM,
            "vllm has no GPU support",
            id="absent gpuSupport is false",
        ),
        pytest.param(
            ipc("p", engine("vllm")),
            CPU_VLLM,
            "vllm does not run without a GPU",
            id="no GPU needs cpuSupport",
        ),
        pytest.param(
            ipc("p", engine("vllm", cpu=True)),
            CPU_VLLM,
            None,
            id="cpuSupport serves a deployment without GPU",
        ),
        pytest.param(
            ipc("p", engine("vllm")),
            DISAGG_VLLM,
            "vllm does not support disaggregated mode",
            id="the mode must be listed",
        ),
        pytest.param(
            ipc("p", engine("vllm", modes=())),
            GPU_VLLM,
            "vllm does not support aggregated mode",
            id="an empty mode list supports none",
        ),
    ],
)
def test_rejections(config: InferenceProviderConfig, demand: Demand, reason: str | None):
    assert provider.rejection(config, demand) == reason


def test_the_chain_is_ordered_readiness_first():
    assert [check.__name__ for check in provider.REJECTIONS] == [
        "is_not_ready",
        "lacks_capabilities",
        "lacks_engine",
        "lacks_gpu_support",
        "lacks_cpu_support",
        "lacks_serving_mode",
    ]


# -- priorities, ties and rule errors ----------------------------------------------------------------------

GPU_MD = deployment(engine__type="vllm")


def vllm(name: str, *rules: tuple[str, int], ready: bool = True) -> InferenceProviderConfig:
    return ipc(name, engine("vllm"), rules=rules, ready=ready)


@pytest.mark.parametrize(
    ("configs", "winner", "priority"),
    [
        pytest.param(
            (vllm("a", ("true", 10)), vllm("b", ("true", 20))),
            "b",
            20,
            id="the highest matching priority wins",
        ),
        pytest.param(
            (vllm("a", ("false", 90)), vllm("b", ("true", 20))),
            "b",
            20,
            id="a rule that does not match counts nothing",
        ),
        pytest.param(
            (vllm("b", ("true", 5)), vllm("a", ("true", 5))), "a", 5, id="ties go to the smallest name"
        ),
        pytest.param(
            (vllm("a-b", ("true", 5)), vllm("a.b", ("true", 5))), "a-b", 5, id="names compare byte-wise"
        ),
        pytest.param((vllm("z", ("true", 1)), vllm("a")), "z", 1, id="any positive match beats priority 0"),
        pytest.param(
            (vllm("b", ("false", 9)), vllm("a")),
            "a",
            0,
            id="a candidate without matching rules still competes at 0",
        ),
        pytest.param(
            (vllm("b", ("true", 0)), vllm("a")), "a", 0, id="a matching priority-0 rule raises nothing"
        ),
        pytest.param(
            (vllm("a", ("true", 10), ("true", 30), ("false", 50)), vllm("b", ("true", 20))),
            "a",
            30,
            id="a candidate's priority is its best match",
        ),
        pytest.param(
            (vllm("a", ("true", 99), ready=False), vllm("b", ("false", 1)), vllm("c", ("true", 1))),
            "c",
            1,
            id="rules of rejected providers never count",
        ),
        pytest.param(
            (vllm("a", ("((", 99)), vllm("b", ("true", 1))),
            "b",
            1,
            id="a rule that does not compile is skipped",
        ),
        pytest.param(
            (vllm("a", ("1 == 'a'", 99)), vllm("b", ("true", 1))),
            "b",
            1,
            id="a rule that does not type-check is skipped",
        ),
        pytest.param(
            (vllm("a", ("((", 99), ("spec.engine.type ==", 50)), vllm("b")),
            "a",
            0,
            id="a provider whose rules all fail to compile still competes at 0",
        ),
        pytest.param(
            (vllm("a", ("spec.nope == 1", 99)), vllm("b", ("true", 1))),
            "b",
            1,
            id="a rule that fails to evaluate is skipped",
        ),
        pytest.param(
            (vllm("a", ("spec.engine", 99)), vllm("b", ("true", 1))),
            "b",
            1,
            id="a rule with a non-boolean result is skipped",
        ),
        pytest.param(
            (vllm("a", ("spec.nope", 99), ("true", 2)), vllm("b", ("true", 1))),
            "a",
            2,
            id="a provider's other rules still count after an error",
        ),
        pytest.param(
            (vllm("a", ("spec.nope || spec.engine.type == 'vllm'", 7)), vllm("b", ("true", 1))),
            "a",
            7,
            id="an error absorbed by || still matches",
        ),
    ],
)
def test_ranking(configs: tuple[InferenceProviderConfig, ...], winner: str, priority: int):
    result = provider.select_provider(GPU_MD, configs, VLLM)
    assert isinstance(result, ProviderSelected), result
    assert (result.provider, result.priority) == (winner, priority)


# -- explicit and recorded providers, failures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "configs", "expected"),
    [
        pytest.param(
            deployment(provider__name="unknown"),
            (),
            ProviderSelected("unknown", "explicit provider selection", ProviderSource.EXPLICIT),
            id="an explicit provider is recorded verbatim, even without a config",
        ),
        pytest.param(
            deployment(provider__name="vllm"),
            shipped(vllm=False),
            ProviderSelected("vllm", "explicit provider selection", ProviderSource.EXPLICIT),
            id="an explicit provider is recorded even when not ready",
        ),
        pytest.param(
            deployment(
                status={
                    "provider": {
                        "name": "kuberay",
                        "selectedReason": "matched capabilities: engine=vllm, gpu=true, mode=aggregated",
                    }
                }
            ),
            (),
            ProviderSelected(
                "kuberay",
                "matched capabilities: engine=vllm, gpu=true, mode=aggregated",
                ProviderSource.RECORDED,
            ),
            id="a recorded provider is sticky",
        ),
        pytest.param(
            deployment(provider__name="dynamo", status={"provider": {"name": "dynamo"}}),
            shipped(),
            ProviderSelected("dynamo", "", ProviderSource.RECORDED),
            id="a recorded provider wins over the same explicit one",
        ),
        pytest.param(
            deployment(provider__name="", engine__type="vllm"),
            shipped(),
            ProviderSelected(
                "dynamo",
                "matched capabilities: engine=vllm, gpu=true, mode=aggregated",
                ProviderSource.AUTO,
                50,
            ),
            id="an empty explicit name means auto-selection",
        ),
        pytest.param(
            deployment(),
            (),
            SelectionFailed("no providers registered (InferenceProviderConfig resources not found)"),
            id="no configs at all",
        ),
        pytest.param(
            deployment(),
            shipped(ready=False),
            SelectionFailed("no healthy providers available"),
            id="no ready config",
        ),
        pytest.param(
            deployment(),
            (ipc("odd", engine("sglang")),),
            SelectionFailed("no compatible provider found for this configuration"),
            id="no candidate",
        ),
        pytest.param(
            deployment(resources__gpu__count=0),
            shipped(),
            SelectionFailed("no compatible provider found for this configuration"),
            id="vLLM without GPU has no candidate among the shipped providers",
        ),
    ],
)
def test_outcomes(md: ModelDeployment, configs: tuple[InferenceProviderConfig, ...], expected: Any):
    assert provider.select_provider(md, configs, VLLM) == expected


@pytest.mark.parametrize(
    "configs",
    [
        pytest.param((vllm("a", ("size(spec) > 0", 5)), vllm("b")), id="when rules can see the whole spec"),
        pytest.param(
            (vllm("a", ("has(spec.provider.overrides)", 5)), vllm("b")), id="when rules can see the field"
        ),
    ],
)
def test_an_unconvertible_spec_fails_like_upstream(configs: tuple[InferenceProviderConfig, ...]):
    """Go cannot decode a number beyond float64; the API server never stores one, so only fields
    the rules can observe are converted (docs/selection.md)."""
    md = deployment(engine__type="vllm", provider__overrides={"huge": 10**400})
    result = provider.select_provider(md, configs, VLLM)
    assert isinstance(result, SelectionFailed)
    assert result.message.startswith("provider selection failed: failed to convert spec for CEL evaluation: ")


def test_new_config_objects_are_not_answered_from_the_cache():
    first = provider.select_provider(GPU_MD, (vllm("a", ("true", 5)), vllm("b")), VLLM)
    second = provider.select_provider(GPU_MD, (vllm("a", ("true", 5), ready=False), vllm("b")), VLLM)
    assert isinstance(first, ProviderSelected)
    assert isinstance(second, ProviderSelected)
    assert (first.provider, second.provider) == ("a", "b")


class CountingEngine:
    """The default engine, counting the activations it binds (one per evaluated selection)."""

    def __init__(self) -> None:
        self.inner = cel.default_engine()
        self.binds = 0

    def compile(self, text: str) -> Program | cel.CompileError:
        return self.inner.compile(text)

    def bind(self, spec: Any) -> cel.Activation:
        self.binds += 1
        return self.inner.bind(spec)

    def evaluate(self, program: Program, activation: cel.Activation) -> bool | EvalError:
        return self.inner.evaluate(program, activation)

    def first_match(self, programs: Any, activation: cel.Activation) -> int | None:
        return self.inner.first_match(programs, activation)


@pytest.mark.parametrize(
    ("configs", "binds"),
    [
        pytest.param((vllm("a", ("true", 5)),), 0, id="a single candidate wins without evaluating rules"),
        pytest.param(
            (vllm("a"), vllm("b")), 0, id="candidates without positive-priority rules tie without CEL"
        ),
        pytest.param((vllm("a", ("true", 5)), vllm("b")), 1, id="ranking binds the spec once"),
    ],
)
def test_rules_are_evaluated_only_when_they_can_change_the_answer(
    configs: tuple[InferenceProviderConfig, ...], binds: int
):
    counting = CountingEngine()
    assert isinstance(provider.select_provider(GPU_MD, configs, VLLM, counting), ProviderSelected)
    assert counting.binds == binds
