"""Property tests: selection never raises on any schema-valid deployment and provider set, the
short-circuit ranking always equals the full ranking, batched rule evaluation equals rule-by-rule
evaluation, and the CEL input's webhook defaults equal `sdk.effective.effective_spec`."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.sdk import effective as defaults
from airunway_operator.selection import capabilities, cel, celinput, provider
from airunway_operator.selection import engine as engines
from airunway_operator.selection.capabilities import SelectionFailed
from airunway_operator.selection.cel import Program
from airunway_operator.selection.provider import Demand, ProviderSelected, ProviderSource
from tests.unit.selection.builders import shipped_bodies

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINE = cel.default_engine()


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-./ é", max_size=6)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
QUANTITY = st.one_of(
    st.sampled_from(["1", "500m", "4Ti", "1.5Gi", "1000M", "0", "0.5Ki", "1e3", "2.5e-3", "+5k", ".5"]),
    st.integers(0, 10**15),
)
GPU = optional(count=st.integers(0, 64), type=st.sampled_from(["", "nvidia.com/gpu", "amd.com/gpu"]))
COMPONENT = optional(replicas=st.integers(0, 32), gpu=GPU, memory=st.sampled_from(["", "8Gi"]))
VOLUME = st.fixed_dictionaries(
    {"name": st.sampled_from(["cache", "data", "c-1"])},
    optional={
        "claimName": st.sampled_from(["", "shared"]),
        "mountPath": st.sampled_from(["", "/data"]),
        "purpose": st.sampled_from(["modelCache", "compilationCache", "custom"]),
        "readOnly": st.booleans(),
        "size": QUANTITY,
        "storageClassName": st.sampled_from(["", "fast"]),
        "accessMode": st.sampled_from(["ReadWriteOnce", "ReadWriteMany"]),
    },
)
ENV = st.fixed_dictionaries(
    {"name": st.sampled_from(["A", "B", ""])},
    optional={
        "value": TEXT,
        "valueFrom": optional(
            resourceFieldRef=st.fixed_dictionaries(
                {"resource": st.just("limits.cpu")}, optional={"divisor": QUANTITY}
            ),
            secretKeyRef=st.fixed_dictionaries(
                {"key": st.just("k")}, optional={"name": TEXT, "optional": st.booleans()}
            ),
        ),
    },
)
SPEC = st.fixed_dictionaries(
    {
        "model": optional(
            id=TEXT,
            servedName=TEXT,
            source=st.sampled_from(["huggingface", "custom"]),
            storage=optional(volumes=st.lists(VOLUME, max_size=2)),
        )
    },
    optional={
        "provider": optional(
            name=st.sampled_from(["", "", "", "kaito"]), overrides=st.dictionaries(TEXT, JSON, max_size=3)
        ),
        "engine": optional(
            type=st.sampled_from([engine.value for engine in EngineType]),
            image=st.sampled_from(["", "repo/vllm:1"]),
            contextLength=st.integers(0, 2**31 - 1),
            trustRemoteCode=st.booleans(),
            enablePrefixCaching=st.booleans(),
            enforceEager=st.booleans(),
            args=st.dictionaries(TEXT, TEXT, max_size=2),
            extraArgs=st.lists(TEXT, max_size=2),
        ),
        "serving": optional(mode=st.sampled_from(["aggregated", "disaggregated"])),
        "scaling": optional(replicas=st.integers(0, 32), prefill=COMPONENT, decode=COMPONENT),
        "resources": optional(gpu=GPU, memory=st.sampled_from(["", "16Gi"]), cpu=st.sampled_from(["", "4"])),
        "image": st.sampled_from(["", "repo/vllm:1"]),
        "env": st.lists(ENV, max_size=2),
        "tolerations": st.lists(
            optional(
                key=TEXT, operator=st.sampled_from(["", "Exists"]), tolerationSeconds=st.integers(0, 99)
            ),
            max_size=2,
        ),
        "gateway": optional(enabled=st.booleans(), modelName=TEXT),
        "nodeSelector": st.dictionaries(TEXT, TEXT, max_size=2),
        "podTemplate": optional(metadata=optional(labels=st.dictionaries(TEXT, TEXT, max_size=2))),
        "secrets": optional(huggingFaceToken=TEXT),
    },
)
STATUS = st.one_of(
    st.just({}),
    optional(
        engine=optional(type=st.sampled_from([engine.value for engine in EngineType])),
        provider=optional(name=st.sampled_from(["", "dynamo"])),
    ),
)
DEPLOYMENTS = st.builds(
    lambda name, spec, status: ModelDeployment.parse(
        {"metadata": {"name": name}, "spec": spec, "status": status}
    ),
    st.sampled_from(["qwen", "a.b", "llama"]),
    SPEC,
    STATUS,
)

RULE_POOL = [
    *(rule["condition"] for body in shipped_bodies() for rule in body["spec"].get("selectionRules", [])),
    "true",
    "false",
    "((",
    "spec.nope",
    "spec.engine",
    "1 == 'a'",
    "spec.resources.gpu.count >= 1",
    "has(spec.provider.overrides) && spec.provider.overrides.x == 1",
    "spec.model.id.startsWith('Q')",
    "spec.scaling.replicas == 1 || spec.nope",
    "spec.nope || spec.serving.mode == 'aggregated'",
    "'vllm' in [spec.engine.type]",
    "spec.model.storage.volumes.exists(v, v.size == '1536Mi')",
    "false // a comment",
    "size(spec) > 4",
    "'image' in spec",
    "spec.exists(key, key == 'env')",
    "spec.size() > 3",
    "has(spec.env) && spec.env.exists(e, e.name == 'A')",
    "[1].exists(spec, spec == 1)",
    "spec['engine'].type == 'vllm'",
    "has(spec.gateway) && spec.gateway.enabled == false",
    "has(spec.model.storage) || spec.engine.type == 'sglang'",
]
RULES = st.one_of(st.sampled_from(RULE_POOL), TEXT)
#: Mostly ready, so that most examples get as far as ranking.
READINESS = st.sampled_from([{"ready": True}, {"ready": True}, {"ready": True}, {"ready": False}, {}])
CAPABILITY = optional(
    servingModes=st.lists(st.sampled_from(["aggregated", "disaggregated"]), max_size=2, unique=True),
    gpuSupport=st.booleans(),
    cpuSupport=st.booleans(),
)


@st.composite
def provider_sets(draw: st.DrawFn) -> tuple[InferenceProviderConfig, ...]:
    """Some shipped providers with random readiness, plus up to two random ones (unique names)."""
    bodies = [body for body in shipped_bodies() if draw(st.integers(0, 3))]
    configs = [InferenceProviderConfig.parse(body | {"status": draw(READINESS)}) for body in bodies]
    for name in ("x1", "x2")[: draw(st.integers(0, 2))]:
        names = draw(
            st.lists(st.sampled_from([engine.value for engine in EngineType]), max_size=3, unique=True)
        )
        spec: dict[str, Any] = {
            "capabilities": {"engines": [{"name": engine} | draw(CAPABILITY) for engine in names]},
            "selectionRules": [
                {"condition": draw(RULES), "priority": draw(st.integers(0, 120))}
                for _ in range(draw(st.integers(0, 3)))
            ],
        }
        if draw(st.booleans()):
            del spec["capabilities"]
        status = draw(READINESS)
        configs.append(
            InferenceProviderConfig.parse({"metadata": {"name": name}, "spec": spec, "status": status})
        )
    return tuple(draw(st.permutations(configs)))


def full_ranking(
    md: ModelDeployment, configs: tuple[InferenceProviderConfig, ...], engine: EngineType
) -> str | None:
    """The winner with every rule of every candidate evaluated one by one (no batch, no cache)."""
    demand = Demand(engine, capabilities.requirement(md.spec))
    candidates = [config for config in configs if provider.rejection(config, demand) is None]
    if not candidates:
        return None
    spec_value = celinput.build(md.spec, md.metadata.name or "", engine)
    priorities = provider.candidate_priorities(candidates, spec_value, ENGINE)
    return min(priorities, key=lambda name: (-priorities[name], name.encode()))


@SETTINGS
@given(md=DEPLOYMENTS, configs=provider_sets())
def test_selection_never_raises_and_equals_the_full_ranking(
    md: ModelDeployment, configs: tuple[InferenceProviderConfig, ...]
):
    assert isinstance(engines.select_engine(md, configs), engines.EngineSelected | SelectionFailed)
    for engine in EngineType:
        result = provider.select_provider(md, configs, engine)
        assert isinstance(result, ProviderSelected | SelectionFailed)
        if isinstance(result, ProviderSelected) and result.source is ProviderSource.AUTO:
            assert result.provider == full_ranking(md, configs, engine)
        if isinstance(result, SelectionFailed) and result.message == provider.NO_COMPATIBLE_PROVIDER:
            assert full_ranking(md, configs, engine) is None


@SETTINGS
@given(md=DEPLOYMENTS, engine=st.sampled_from(list(EngineType)))
def test_cel_input_defaults_equal_the_typed_effective_spec(md: ModelDeployment, engine: EngineType):
    name = md.metadata.name or ""
    value = celinput.build(md.spec, name, engine)
    assert value == celinput.build(defaults.effective_spec(md.spec, name), name, engine)
    assert_json_with_doubles(value)


@SETTINGS
@given(
    md=DEPLOYMENTS,
    fields=st.frozensets(st.sampled_from(["model", "engine", "serving", "resources", "env", "x"])),
)
def test_building_some_fields_equals_picking_them_from_the_whole(md: ModelDeployment, fields: frozenset[str]):
    whole = celinput.build(md.spec, "qwen", EngineType.VLLM)
    assert celinput.build(md.spec, "qwen", EngineType.VLLM, fields) == {
        key: value for key, value in whole.items() if key in fields
    }


def assert_json_with_doubles(value: Any) -> None:
    if isinstance(value, dict):
        assert all(isinstance(key, str) for key in value)
        for item in value.values():
            assert_json_with_doubles(item)
    elif isinstance(value, list):
        for item in value:
            assert_json_with_doubles(item)
    else:
        assert value is None or type(value) in (bool, float, str), value


@SETTINGS
@given(md=DEPLOYMENTS, texts=st.lists(RULES, max_size=6))
def test_batched_first_match_equals_rule_by_rule(md: ModelDeployment, texts: list[str]):
    programs = [program for text in texts if isinstance(program := ENGINE.compile(text), Program)]
    activation = ENGINE.bind(celinput.build(md.spec, "qwen", EngineType.VLLM))
    expected = next(
        (index for index, program in enumerate(programs) if ENGINE.evaluate(program, activation) is True),
        None,
    )
    assert ENGINE.first_match(programs, activation) == expected


def outcome(result: bool | cel.EvalError) -> bool | str:
    return "error" if isinstance(result, cel.EvalError) else result


@SETTINGS
@given(md=DEPLOYMENTS, texts=st.lists(RULES, min_size=1, max_size=4))
def test_rules_see_the_same_through_their_referenced_fields(md: ModelDeployment, texts: list[str]):
    programs = [program for text in texts if isinstance(program := ENGINE.compile(text), Program)]
    fields = cel.referenced_fields(program.text for program in programs)
    whole = ENGINE.bind(celinput.build(md.spec, "qwen", EngineType.VLLM))
    part = ENGINE.bind(celinput.build(md.spec, "qwen", EngineType.VLLM, fields))
    for program in programs:
        assert outcome(ENGINE.evaluate(program, part)) == outcome(ENGINE.evaluate(program, whole)), (
            program.text
        )


SAMPLE_DEPLOYMENTS: tuple[dict[str, Any], ...] = (
    {},
    {"engine": {"type": "vllm"}, "env": [{"name": "A"}], "gateway": {"enabled": False}},
    {
        "serving": {"mode": "disaggregated"},
        "image": "x",
        "model": {"id": "Q", "storage": {"volumes": [{"name": "c", "size": "1.5Gi"}]}},
    },
    {"resources": {"gpu": {"count": 2}}, "provider": {"overrides": {"x": 1}}},
)


@pytest.mark.parametrize("text", RULE_POOL)
def test_each_pool_rule_sees_the_same_through_its_referenced_fields(text: str):
    program = ENGINE.compile(text)
    if not isinstance(program, Program):
        return
    fields = cel.referenced_fields([text])
    for spec in SAMPLE_DEPLOYMENTS:
        md = ModelDeployment.parse({"metadata": {"name": "q"}, "spec": {"model": {"id": "Q"}} | spec})
        whole = ENGINE.bind(celinput.build(md.spec, "q", EngineType.VLLM))
        part = ENGINE.bind(celinput.build(md.spec, "q", EngineType.VLLM, fields))
        assert outcome(ENGINE.evaluate(program, part)) == outcome(ENGINE.evaluate(program, whole)), spec
