"""llm-d (SPEC-providers §5): golden renders, argument order and dedupe, compatibility, warnings,
status from one or both Deployments, registration.

Goldens live in tests/providers/golden/llmd/. After a deliberate change, regenerate them with
`AIRUNWAY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/providers/test_llmd.py` and review the diff by eye.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from providers import common, workloads
from providers.base import Observed, ProviderStatus, RenderContext
from providers.llmd import PROVIDER, capabilities, compatibility, render
from providers.testing import Golden
from tests.providers import builders

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Golden(Path(__file__).parent / "golden" / "llmd")
UID = "0b5c7a52-1f6e-4c1b-9f53-6a4a3d1e2f10"
VLLM = RenderContext(engine=EngineType.VLLM)
KV_CONSUMER = '{"kv_connector":"PyNcclConnector","kv_role":"kv_consumer"}'
KV_PRODUCER = '{"kv_connector":"PyNcclConnector","kv_role":"kv_producer"}'


def deployment(name: str = "qwen", status: dict[str, Any] | None = None, **fields: Any) -> ModelDeployment:
    return builders.typed(UID, name, None, status, **fields)


def llmd(name: str = "qwen", **fields: Any) -> ModelDeployment:
    """An explicit llm-d deployment (engine vllm, provider llmd); one GPU unless `fields` say else."""
    return deployment(name, **{"provider__name": "llmd", "engine__type": "vllm", **fields})


def disaggregated(
    name: str = "qwen", prefill_gpus: int = 1, decode_gpus: int = 2, **fields: Any
) -> ModelDeployment:
    return llmd(
        name,
        serving__mode="disaggregated",
        scaling__prefill={"replicas": 1, "gpu": {"count": prefill_gpus}, "memory": "48Gi"},
        scaling__decode={"replicas": 2, "gpu": {"count": decode_gpus}, "memory": "64Gi"},
        **fields,
    )


def sample(file: str) -> ModelDeployment:
    return builders.sample(file, UID)


def rendered(md: ModelDeployment) -> list[dict[str, Any]]:
    return PROVIDER.render(md, PROVIDER.pre_step(md, VLLM).context)


def by_name(manifests: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def container(manifest: dict[str, Any]) -> dict[str, Any]:
    [only] = manifest["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


def args_of(md: ModelDeployment, kind_name: tuple[str, str] | None = None) -> list[str]:
    manifests = render.render(md, VLLM)
    target = by_name(manifests)[kind_name] if kind_name else manifests[0]
    return container(target)["args"]  # type: ignore[no-any-return]


# -- golden renders ------------------------------------------------------------------------------

SCENARIOS = [
    pytest.param("aggregated-default", llmd(), id="one GPU by admission default, default image"),
    pytest.param(
        "aggregated-multi-gpu",
        llmd(
            resources__gpu__count=4,
            resources__memory="64Gi",
            resources__cpu="8",
            scaling__replicas=2,
            model__servedName="qwen",
            engine__contextLength=8192,
            engine__trustRemoteCode=True,
            engine__enforceEager=True,
        ),
        id="four GPUs get tensor parallelism; every structured flag in upstream order",
    ),
    pytest.param(
        "prefix-caching-off",
        llmd(resources__gpu__count=1, engine__enablePrefixCaching=False),
        id="prefix caching false is passed as --no-enable-prefix-caching",
    ),
    pytest.param(
        "disaggregated",
        disaggregated(
            model__servedName="qwen",
            resources__memory="999Gi",
            nodeSelector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        ),
        id="decode and prefill Deployments, then their Services; PyNccl roles; TP on decode only",
    ),
    pytest.param(
        "storage",
        llmd(
            resources__gpu__count=1,
            model__storage__volumes=[
                {"name": "model-cache", "purpose": "modelCache", "size": "100Gi"},
                {"name": "compile-cache", "purpose": "compilationCache", "claimName": "kernels"},
                {"name": "datasets", "claimName": "shared-datasets", "mountPath": "/data", "readOnly": True},
            ],
        ),
        id="storage volumes, mounts and HF_HOME as for Direct vLLM (D4); no claims rendered",
    ),
    pytest.param(
        "disaggregated-storage",
        disaggregated(
            model__storage__volumes=[{"name": "model-cache", "purpose": "modelCache", "size": "1Ti"}]
        ),
        id="both pools mount the model cache",
    ),
    pytest.param(
        "env-hf-secret",
        llmd(
            resources__gpu__count=1,
            env=[
                {"name": "VLLM_LOGGING_LEVEL", "value": "INFO"},
                {"name": "HF_TOKEN", "value": "user-token-dropped"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {
                    "name": "MEMORY_LIMIT",
                    "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}},
                },
                {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "api"}}},
                {
                    "name": "OFFLINE",
                    "value": "ignored-because-valueFrom-wins",
                    "valueFrom": {"configMapKeyRef": {"name": "runtime", "key": "offline", "optional": True}},
                },
            ],
            secrets__huggingFaceToken="hf-token",
        ),
        id="env with every valueFrom kind and the HF token secret (D3)",
    ),
    pytest.param(
        "args-dedupe",
        llmd(
            resources__gpu__count=2,
            model__servedName="qwen",
            engine__contextLength=8192,
            engine__trustRemoteCode=True,
            engine__args={
                "tensor-parallel-size": "1",
                "gpu-memory-utilization": "0.9",
                "enable-chunked-prefill": "",
            },
            engine__extraArgs=[
                "--max-model-len=4096",
                "--no-enable-prefix-caching",
                "--served-model-name",
                "q",
            ],
        ),
        id="user flags replace derived ones (D23); args sorted, extraArgs verbatim",
    ),
    pytest.param(
        "overrides",
        disaggregated(
            provider__overrides={
                "spec": {
                    "progressDeadlineSeconds": 1800,
                    "strategy": {"type": "Recreate"},
                    "template": {"metadata": {"annotations": {"sidecar.istio.io/inject": "false"}}},
                    "paused": None,
                }
            },
        ),
        id="overrides merge into every Deployment, never into Services",
    ),
    pytest.param(
        "placement",
        llmd(
            resources__gpu__count=1,
            nodeSelector={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
            tolerations=[
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                {
                    "key": "maintenance",
                    "operator": "Equal",
                    "value": "soon",
                    "effect": "NoExecute",
                    "tolerationSeconds": 60,
                },
            ],
        ),
        id="node selector and tolerations",
    ),
    pytest.param(
        "pod-template",
        llmd(
            resources__gpu__count=1,
            podTemplate__metadata__labels={"team": "ml", "app": "hijack", "airunway.ai/deployment": "hijack"},
            podTemplate__metadata__annotations={"prometheus.io/scrape": "true"},
        ),
        id="podTemplate labels and annotations; selector and managed keys win (D14)",
    ),
    pytest.param(
        "user-image",
        llmd(resources__gpu__count=1, engine__image="registry.example.com/ml/vllm:0.9.2-cu128"),
        id="a user image runs verbatim",
    ),
    pytest.param(
        "sample-llmd-aggregated", sample("llmd-aggregated.yaml"), id="config/samples/llmd-aggregated"
    ),
    pytest.param(
        "sample-llmd-disaggregated", sample("llmd-disaggregated.yaml"), id="config/samples/llmd-disaggregated"
    ),
]


@pytest.mark.parametrize(("name", "md"), SCENARIOS)
def test_render_matches_reviewed_golden(name: str, md: ModelDeployment) -> None:
    assert PROVIDER.check_compatibility(md, EngineType.VLLM) is None
    GOLDEN.check(name, rendered(md))


def test_golden_folder_holds_exactly_the_scenarios() -> None:
    assert GOLDEN.names() == {p.values[0] for p in SCENARIOS}


# -- objects ----------------------------------------------------------------------------------------


def test_aggregated_renders_deployment_then_service_named_after_the_deployment() -> None:
    manifests = render.render(llmd(), VLLM)
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests] == [
        ("Deployment", "qwen"),
        ("Service", "qwen"),
    ]
    assert PROVIDER.primary_name(manifests) == "qwen"


def test_disaggregated_renders_decode_first_then_prefill_then_their_services() -> None:
    manifests = render.render(disaggregated(), VLLM)
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests] == [
        ("Deployment", "qwen-decode"),
        ("Deployment", "qwen-prefill"),
        ("Service", "qwen-decode"),
        ("Service", "qwen-prefill"),
    ]
    assert PROVIDER.primary_name(manifests) == "qwen-decode"
    for manifest in manifests:
        name = manifest["metadata"]["name"]
        selector = {"airunway.ai/deployment": "qwen", "app": name}
        if manifest["kind"] == "Service":
            assert manifest["spec"]["selector"] == selector
        else:
            assert manifest["spec"]["selector"]["matchLabels"] == selector
            assert manifest["spec"]["template"]["metadata"]["labels"] == selector


def test_services_carry_base_labels_only_and_never_overrides() -> None:
    md = disaggregated(
        podTemplate__metadata__labels={"team": "ml"},
        provider__overrides={"spec": {"minReadySeconds": 5}},
    )
    for manifest in render.render(md, VLLM):
        if manifest["kind"] == "Service":
            assert manifest["metadata"]["labels"] == common.managed_labels(md, EngineType.VLLM)
            assert "minReadySeconds" not in manifest["spec"]
        else:
            assert manifest["metadata"]["labels"]["team"] == "ml"
            assert manifest["spec"]["minReadySeconds"] == 5


def test_no_probes_no_shm_no_command() -> None:
    """Upstream (§5.4): the image's entrypoint, no health probes, no /dev/shm even with 4 GPUs."""
    [deployment_, _] = render.render(llmd(resources__gpu__count=4), VLLM)
    assert set(container(deployment_)) == {"name", "image", "args", "ports", "resources"}
    assert "volumes" not in deployment_["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    ("md", "replicas"),
    [
        pytest.param(llmd(scaling__replicas=3), {"qwen": 3}, id="aggregated replicas"),
        pytest.param(llmd(scaling__replicas=0), {"qwen": 1}, id="aggregated 0 becomes 1"),
        pytest.param(
            llmd(
                serving__mode="disaggregated",
                scaling__prefill={"replicas": 0, "gpu": {"count": 1}},
                scaling__decode={"replicas": 3, "gpu": {"count": 1}},
            ),
            {"qwen-decode": 3, "qwen-prefill": 0},
            id="disaggregated replicas verbatim, 0 included",
        ),
    ],
)
def test_replicas(md: ModelDeployment, replicas: dict[str, int]) -> None:
    found = {
        m["metadata"]["name"]: m["spec"]["replicas"]
        for m in render.render(md, VLLM)
        if m["kind"] == "Deployment"
    }
    assert found == replicas


@pytest.mark.parametrize(
    ("md", "resources"),
    [
        pytest.param(
            llmd(resources__gpu__count=2, resources__memory="32Gi", resources__cpu="4"),
            {
                "qwen": {
                    "limits": {"nvidia.com/gpu": "2", "memory": "32Gi"},
                    "requests": {"nvidia.com/gpu": "2", "memory": "32Gi", "cpu": "4"},
                }
            },
            id="aggregated: GPU and memory limit + request, cpu request only",
        ),
        pytest.param(
            llmd(resources__gpu__count=1, resources__gpu__type="amd.com/gpu"),
            {"qwen": {"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}},
            id="the GPU type never changes the resource key",
        ),
        pytest.param(
            disaggregated(resources__cpu="16", resources__memory="1Ti"),
            {
                "qwen-decode": {
                    "limits": {"nvidia.com/gpu": "2", "memory": "64Gi"},
                    "requests": {"nvidia.com/gpu": "2", "memory": "64Gi"},
                },
                "qwen-prefill": {
                    "limits": {"nvidia.com/gpu": "1", "memory": "48Gi"},
                    "requests": {"nvidia.com/gpu": "1", "memory": "48Gi"},
                },
            },
            id="disaggregated: component GPU and memory, spec.resources ignored",
        ),
    ],
)
def test_container_resources(md: ModelDeployment, resources: dict[str, Any]) -> None:
    found = {
        m["metadata"]["name"]: container(m)["resources"]
        for m in render.render(md, VLLM)
        if m["kind"] == "Deployment"
    }
    assert found == resources


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        pytest.param(llmd(engine__image="e/vllm:1", image="e/vllm:1"), "e/vllm:1", id="engine image"),
        pytest.param(llmd(image="legacy/vllm:1"), "legacy/vllm:1", id="legacy spec.image"),
        pytest.param(llmd(), "vllm/vllm-openai:v0.9.1", id="upstream's pinned default"),
    ],
)
def test_image(md: ModelDeployment, expected: str) -> None:
    assert container(render.render(md, VLLM)[0])["image"] == expected


def test_every_deployment_gets_the_same_env_and_storage() -> None:
    md = disaggregated(
        env=[{"name": "A", "value": "1"}],
        secrets__huggingFaceToken="hf",
        model__storage__volumes=[{"name": "cache", "purpose": "modelCache", "claimName": "weights"}],
    )
    decode, prefill = render.render(md, VLLM)[:2]
    assert (
        container(decode)["env"]
        == container(prefill)["env"]
        == [
            {"name": "HF_HOME", "value": "/model-cache"},
            {"name": "A", "value": "1"},
            {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "HF_TOKEN"}}},
        ]
    )
    for manifest in (decode, prefill):
        assert manifest["spec"]["template"]["spec"]["volumes"] == [
            {"name": "cache", "persistentVolumeClaim": {"claimName": "weights"}}
        ]
        assert container(manifest)["volumeMounts"] == [{"name": "cache", "mountPath": "/model-cache"}]


def test_storage_claims_are_left_to_the_shared_storage_pipeline() -> None:
    md = llmd(model__storage__volumes=[{"name": "cache", "purpose": "modelCache", "size": "10Gi"}])
    assert {m["kind"] for m in render.render(md, VLLM)} == {"Deployment", "Service"}
    assert PROVIDER.uses_storage


# -- arguments -----------------------------------------------------------------------------------------


def test_aggregated_args_follow_upstream_order() -> None:
    md = llmd(
        resources__gpu__count=2,
        model__servedName="q",
        engine__contextLength=4096,
        engine__trustRemoteCode=True,
        engine__enforceEager=True,
        engine__args={"b": "2", "a": ""},
        engine__extraArgs=["--x", "1"],
    )
    assert args_of(md) == [
        "--model", "Qwen/Qwen3-0.6B",
        "--served-model-name", "q",
        "--max-model-len", "4096",
        "--trust-remote-code",
        "--enable-prefix-caching",
        "--enforce-eager",
        "--tensor-parallel-size", "2",
        "--a", "--b", "2",
        "--x", "1",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "qwen-decode",
            ["--model", "Qwen/Qwen3-0.6B", "--enable-prefix-caching", "--tensor-parallel-size", "2",
             "--kv-transfer-config", KV_CONSUMER, "--seed", "1"],
            id="decode: its own GPUs for TP, kv_consumer",
        ),
        pytest.param(
            "qwen-prefill",
            ["--model", "Qwen/Qwen3-0.6B", "--enable-prefix-caching", "--kv-transfer-config", KV_PRODUCER,
             "--seed", "1"],
            id="prefill: one GPU means no TP, kv_producer",
        ),
    ],
)  # fmt: skip
def test_disaggregated_args(name: str, expected: list[str]) -> None:
    assert args_of(disaggregated(engine__args={"seed": "1"}), ("Deployment", name)) == expected


@pytest.mark.parametrize(
    ("md", "flag"),
    [
        pytest.param(llmd(), "--enable-prefix-caching", id="CRD default true"),
        pytest.param(llmd(engine__enablePrefixCaching=True), "--enable-prefix-caching", id="explicit true"),
        pytest.param(
            llmd(engine__enablePrefixCaching=False), "--no-enable-prefix-caching", id="explicit false"
        ),
        pytest.param(
            deployment(provider__name="llmd", resources__gpu__count=1),
            "--no-enable-prefix-caching",
            id="no engine block: no CRD default, off as upstream",
        ),
    ],
)
def test_prefix_caching_is_always_one_of_the_pair(md: ModelDeployment, flag: str) -> None:
    args = args_of(md)
    assert [a for a in args if a in ("--enable-prefix-caching", "--no-enable-prefix-caching")] == [flag]
    assert args.index(flag) == 2  # right after --model <id> when no other flag is derived


@pytest.mark.parametrize(
    ("md", "keys"),
    [
        pytest.param(llmd(engine__args={"model": "/models/qwen"}), {"model"}, id="model"),
        pytest.param(
            llmd(model__servedName="q", engine__extraArgs=["--served-model-name=x"]),
            {"served-model-name"},
            id="served-model-name",
        ),
        pytest.param(
            llmd(engine__contextLength=4096, engine__args={"max-model-len": "2048"}),
            {"max-model-len"},
            id="max-model-len",
        ),
        pytest.param(
            llmd(engine__trustRemoteCode=True, engine__extraArgs=["--trust-remote-code"]),
            {"trust-remote-code"},
            id="trust-remote-code",
        ),
        pytest.param(
            llmd(engine__enablePrefixCaching=False, engine__extraArgs=["--enable-prefix-caching"]),
            {"enable-prefix-caching", "no-enable-prefix-caching"},
            id="prefix caching: either spelling replaces the derived one",
        ),
        pytest.param(
            llmd(engine__args={"no-enable-prefix-caching": ""}),
            {"enable-prefix-caching", "no-enable-prefix-caching"},
            id="prefix caching: the negative spelling in args",
        ),
        pytest.param(
            llmd(engine__enforceEager=True, engine__args={"enforce-eager": ""}),
            {"enforce-eager"},
            id="enforce-eager",
        ),
        pytest.param(
            llmd(resources__gpu__count=4, engine__extraArgs=["--tensor-parallel-size=2"]),
            {"tensor-parallel-size"},
            id="tensor-parallel-size",
        ),
        pytest.param(
            disaggregated(engine__args={"kv-transfer-config": '{"kv_connector":"NixlConnector"}'}),
            {"kv-transfer-config"},
            id="kv-transfer-config",
        ),
    ],
)
def test_an_explicit_user_flag_replaces_the_derived_one(md: ModelDeployment, keys: set[str]) -> None:
    """D23: no derived flag repeats a key the user sets; the user's tokens close the list as written."""
    args = args_of(md)
    user = [*common.engine_arg_tokens(md), *common.extra_args(md)]
    derived = args[: len(args) - len(user)]
    assert args[len(derived) :] == user
    assert not {common.extra_arg_key(token) for token in derived} & keys
    assert derived[:1] == ["--model"] or "model" in keys


def test_without_user_duplicates_the_output_equals_upstream() -> None:
    md = llmd(resources__gpu__count=1, engine__args={"dtype": "bfloat16"}, engine__extraArgs=["--seed", "7"])
    assert args_of(md) == [
        "--model", "Qwen/Qwen3-0.6B", "--enable-prefix-caching", "--dtype", "bfloat16", "--seed", "7",
    ]  # fmt: skip


def test_port_in_args_is_passed_through_as_upstream_does() -> None:
    """§5.4 lists no reserved flags for llm-d (unlike Direct vLLM's host/port rule)."""
    assert args_of(llmd(engine__extraArgs=["--port=9000"]))[-1] == "--port=9000"


@pytest.mark.parametrize(
    ("md", "message"),
    [
        pytest.param(
            llmd(engine__args={"bad key": "1"}),
            'invalid engine arg key "bad key": must contain only alphanumeric characters, hyphens, '
            "and underscores",
            id="invalid arg key",
        ),
        pytest.param(
            llmd(engine__args={"seed": "1"}, engine__extraArgs=["--seed=2"]),
            "spec.engine.extraArgs sets the flag '--seed', which spec.engine.args also sets",
            id="same flag in args and extraArgs (admission backstop)",
        ),
        pytest.param(
            llmd(provider__overrides={"metadata": {"name": "x"}}),
            "spec.provider.overrides.metadata cannot be overridden",
            id="blocked top-level override key",
        ),
        pytest.param(
            llmd(provider__overrides={"spec": {"template": {"spec": {"hostNetwork": True}}}}),
            "spec.provider.overrides.spec.template.spec cannot be overridden",
            id="pod spec override",
        ),
        pytest.param(
            disaggregated(provider__overrides={"spec": {"template": {"spec": {"containers": []}}}}),
            "spec.provider.overrides.spec.template.spec cannot be overridden",
            id="pod spec override in disaggregated mode",
        ),
        pytest.param(
            llmd(serving__mode="disaggregated", scaling__prefill={"gpu": {"count": 1}}),
            "spec.scaling.decode is required for disaggregated serving mode",
            id="render backstop: no decode pool",
        ),
    ],
)
def test_render_rejects(md: ModelDeployment, message: str) -> None:
    with pytest.raises(common.RenderError, match="^" + re.escape(message)):
        render.render(md, VLLM)


# -- compatibility and admission warnings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "engine", "expected"),
    [
        pytest.param(llmd(), EngineType.VLLM, None, id="explicit vllm gets the default GPU"),
        pytest.param(llmd(resources__gpu__count=2), EngineType.VLLM, None, id="two GPUs"),
        pytest.param(disaggregated(), EngineType.VLLM, None, id="disaggregated with both pools on GPUs"),
        pytest.param(
            llmd(engine__type="sglang"),
            EngineType.SGLANG,
            "llm-d provider only supports vllm engine, got sglang",
            id="sglang",
        ),
        pytest.param(
            deployment(provider__name="llmd"),
            EngineType.LLAMACPP,
            "llm-d provider only supports vllm engine, got llamacpp",
            id="resolved engine llamacpp",
        ),
        pytest.param(
            llmd(serving__mode="disaggregated"),
            EngineType.VLLM,
            "spec.scaling.prefill is required for disaggregated serving mode",
            id="disaggregated without scaling",
        ),
        pytest.param(
            llmd(serving__mode="disaggregated", scaling__decode={"gpu": {"count": 1}}),
            EngineType.VLLM,
            "spec.scaling.prefill is required for disaggregated serving mode",
            id="disaggregated without prefill",
        ),
        pytest.param(
            llmd(serving__mode="disaggregated", scaling__prefill={"gpu": {"count": 1}}),
            EngineType.VLLM,
            "spec.scaling.decode is required for disaggregated serving mode",
            id="disaggregated without decode",
        ),
        pytest.param(
            llmd(
                serving__mode="disaggregated",
                scaling__prefill={"replicas": 1},
                scaling__decode={"replicas": 1},
            ),
            EngineType.VLLM,
            "llm-d provider requires GPU resources for prefill (spec.scaling.prefill.gpu.count > 0)",
            id="prefill without GPU",
        ),
        pytest.param(
            disaggregated(decode_gpus=0),
            EngineType.VLLM,
            "llm-d provider requires GPU resources for decode (spec.scaling.decode.gpu.count > 0)",
            id="decode with zero GPUs",
        ),
        pytest.param(
            llmd(resources__memory="8Gi"),
            EngineType.VLLM,
            "llm-d provider requires GPU resources (spec.resources.gpu.count > 0)",
            id="aggregated resources without GPU",
        ),
        pytest.param(
            deployment(provider__name="llmd"),
            EngineType.VLLM,
            "llm-d provider requires GPU resources (spec.resources.gpu.count > 0)",
            id="auto-selected engine gets no GPU default",
        ),
    ],
)
def test_compatibility(md: ModelDeployment, engine: EngineType, expected: str | None) -> None:
    assert compatibility.check(md, engine) == expected


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        pytest.param(llmd(resources__gpu__count=1), [], id="defaults warn about nothing"),
        pytest.param(disaggregated(), [], id="disaggregated defaults warn about nothing"),
        pytest.param(
            llmd(resources__gpu__count=1, resources__gpu__type="amd.com/gpu"),
            ["spec.resources.gpu.type 'amd.com/gpu' is ignored by provider 'llmd'"],
            id="GPU type",
        ),
        pytest.param(
            llmd(
                serving__mode="disaggregated",
                scaling__prefill={"gpu": {"count": 1, "type": "amd.com/gpu"}},
                scaling__decode={"gpu": {"count": 1}},
            ),
            ["spec.scaling.prefill.gpu.type 'amd.com/gpu' is ignored by provider 'llmd'"],
            id="component GPU type",
        ),
        pytest.param(
            disaggregated(resources__memory="8Gi", resources__cpu="2"),
            [
                "spec.resources.memory is ignored by provider 'llmd' in disaggregated serving mode",
                "spec.resources.cpu is ignored by provider 'llmd' in disaggregated serving mode",
            ],
            id="aggregated sizing in disaggregated mode",
        ),
    ],
)
def test_admission_warnings(md: ModelDeployment, expected: list[str]) -> None:
    warnings = PROVIDER.admission_warnings(md)
    assert len(warnings) == len(expected), warnings
    for warning, start in zip(warnings, expected, strict=True):
        assert warning.startswith(start)


# -- status mapping ------------------------------------------------------------------------------------

PROGRESSING = {
    "type": "Progressing",
    "status": "True",
    "reason": "ReplicaSetUpdated",
    "message": "progressing",
}
UNAVAILABLE = {
    "type": "Available",
    "status": "False",
    "reason": "MinimumReplicasUnavailable",
    "message": "Deployment does not have minimum availability.",
}
AVAILABLE = {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "ok"}
DEADLINE = {
    "type": "Progressing",
    "status": "False",
    "reason": "ProgressDeadlineExceeded",
    "message": 'ReplicaSet "x" has timed out progressing.',
}


def recorded(
    name: str, conditions: list[dict[str, str]], desired: int = 2, ready: int = 0, available: int = 0
) -> dict[str, Any]:
    """A Deployment as the API server returns it (trimmed)."""
    status: dict[str, Any] = {"observedGeneration": 1, "replicas": desired, "readyReplicas": ready}
    status |= {"availableReplicas": available}
    if conditions:
        status["conditions"] = [{"lastTransitionTime": "2026-03-10T12:00:00Z", **c} for c in conditions]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "generation": 1},
        "spec": {"replicas": desired},
        "status": status,
    }


def status_of(
    phase: Phase, message: str, desired: int, ready: int, available: int, service: str
) -> ProviderStatus:
    return ProviderStatus(phase, message, desired, ready, available, service, 8000)


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param([], ProviderStatus(phase=Phase.PENDING), id="not created yet"),
        pytest.param(
            [recorded("qwen", [])], status_of(Phase.PENDING, "", 2, 0, 0, "qwen"), id="no conditions yet"
        ),
        pytest.param(
            [recorded("qwen", [UNAVAILABLE, PROGRESSING], ready=1)],
            status_of(Phase.DEPLOYING, "", 2, 1, 0, "qwen"),
            id="progressing wins over unavailable",
        ),
        pytest.param(
            [recorded("qwen", [AVAILABLE, PROGRESSING], ready=2, available=2)],
            status_of(Phase.RUNNING, "", 2, 2, 2, "qwen"),
            id="available",
        ),
        pytest.param(
            [recorded("qwen", [UNAVAILABLE, DEADLINE])],
            status_of(Phase.FAILED, 'ReplicaSet "x" has timed out progressing.', 2, 0, 0, "qwen"),
            id="progress deadline exceeded",
        ),
        pytest.param(
            [recorded("qwen", [{**DEADLINE, "message": ""}])],
            status_of(Phase.FAILED, "deployment timed out waiting for rollout", 2, 0, 0, "qwen"),
            id="progress deadline exceeded without a message",
        ),
        pytest.param(
            [recorded("qwen", [UNAVAILABLE])],
            status_of(Phase.FAILED, "Deployment does not have minimum availability.", 2, 0, 0, "qwen"),
            id="unavailable with a message",
        ),
        pytest.param(
            [recorded("qwen", [{**UNAVAILABLE, "message": ""}])],
            status_of(Phase.PENDING, "", 2, 0, 0, "qwen"),
            id="unavailable without a message",
        ),
        pytest.param(
            [recorded("other", [AVAILABLE])],
            ProviderStatus(phase=Phase.PENDING),
            id="another Deployment is ignored",
        ),
    ],
)
def test_aggregated_status_is_the_primary_deployment(
    live: list[dict[str, Any]], expected: ProviderStatus
) -> None:
    assert PROVIDER.map_status(llmd(), Observed.of(*live)) == expected


RUNNING_DECODE = recorded("qwen-decode", [AVAILABLE], desired=2, ready=2, available=2)
RUNNING_PREFILL = recorded("qwen-prefill", [AVAILABLE], desired=1, ready=1, available=1)


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param([], ProviderStatus(phase=Phase.PENDING), id="nothing yet"),
        pytest.param(
            [RUNNING_PREFILL], ProviderStatus(phase=Phase.PENDING), id="no decode Deployment yet is Pending"
        ),
        pytest.param(
            [RUNNING_DECODE, RUNNING_PREFILL],
            status_of(Phase.RUNNING, "", 3, 3, 3, "qwen-decode"),
            id="both available: Running, replicas summed, decode endpoint",
        ),
        pytest.param(
            [RUNNING_DECODE],
            status_of(Phase.DEPLOYING, "", 2, 2, 2, "qwen-decode"),
            id="prefill not created yet: Deploying, not Running",
        ),
        pytest.param(
            [RUNNING_DECODE, recorded("qwen-prefill", [UNAVAILABLE, PROGRESSING], desired=1)],
            status_of(Phase.DEPLOYING, "", 3, 2, 2, "qwen-decode"),
            id="prefill rolling out: Deploying",
        ),
        pytest.param(
            [recorded("qwen-decode", [PROGRESSING], desired=2, ready=1), RUNNING_PREFILL],
            status_of(Phase.DEPLOYING, "", 3, 2, 1, "qwen-decode"),
            id="decode rolling out: Deploying",
        ),
        pytest.param(
            [RUNNING_DECODE, recorded("qwen-prefill", [UNAVAILABLE, DEADLINE], desired=1)],
            status_of(
                Phase.FAILED,
                'prefill Deployment qwen-prefill: ReplicaSet "x" has timed out progressing.',
                3, 2, 2, "qwen-decode",
            ),
            id="prefill failed: Failed, naming the prefill Deployment",
        ),
        pytest.param(
            [recorded("qwen-decode", [UNAVAILABLE], desired=2), RUNNING_PREFILL],
            status_of(Phase.FAILED, "Deployment does not have minimum availability.", 3, 1, 1, "qwen-decode"),
            id="decode failed: Failed with upstream's message",
        ),
        pytest.param(
            [recorded("qwen-decode", [DEADLINE]), recorded("qwen-prefill", [UNAVAILABLE])],
            status_of(Phase.FAILED, 'ReplicaSet "x" has timed out progressing.', 4, 0, 0, "qwen-decode"),
            id="both failed: the decode message wins",
        ),
        pytest.param(
            [recorded("qwen-decode", []), recorded("qwen-prefill", [])],
            status_of(Phase.PENDING, "", 4, 0, 0, "qwen-decode"),
            id="no conditions on either: Pending",
        ),
    ],
)  # fmt: skip
def test_disaggregated_status_reads_both_deployments(
    live: list[dict[str, Any]], expected: ProviderStatus
) -> None:
    assert PROVIDER.map_status(disaggregated(), Observed.of(*live)) == expected


# -- registration and identity ----------------------------------------------------------------------

INSTALLATION_JSON = (
    '{"description":"llm-d provider: deploys vLLM Deployments + Services directly. Requires GPU nodes '
    'with the NVIDIA device plugin.","steps":[{"title":"Install NVIDIA GPU Device Plugin","command":'
    '"kubectl apply -f https://raw.githubusercontent.com/NVIDIA/k8s-device-plugin/v0.17.0/deployments/'
    'static/nvidia-device-plugin.yml","description":"Install the NVIDIA device plugin so GPU nodes '
    'advertise nvidia.com/gpu resources."},{"title":"Create HuggingFace Token Secret","command":'
    '"kubectl create secret generic llm-d-hf-token --from-literal=HF_TOKEN=\\u003cyour-token\\u003e '
    '-n \\u003cmodel-namespace\\u003e","description":"Create the HuggingFace token secret in the same '
    'namespace as your ModelDeployment."}]}'
)
CONFIG_DATA = """\
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefix-cache-scorer
- type: decode-filter
- type: max-score-picker
- type: single-profile-handler
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: decode-filter
  - pluginRef: max-score-picker
  - pluginRef: prefix-cache-scorer
    weight: 2
"""
ENGINE = {
    "name": "vllm",
    "servingModes": ["aggregated", "disaggregated"],
    "apiFormats": ["openai-chat", "openai-responses", "anthropic-messages"],
    "gpuSupport": True,
    "requiresCRD": False,
    "gateway": {
        "endpointPicker": {
            "image": "ghcr.io/llm-d/llm-d-inference-scheduler:v0.6.0",
            "configData": CONFIG_DATA,
        }
    },
}
CAPABILITIES_JSON = (
    '{"engines":[{"name":"vllm","servingModes":["aggregated","disaggregated"],"apiFormats":["openai-chat",'
    '"openai-responses","anthropic-messages"],"gpuSupport":true,"requiresCRD":false,"gateway":{"endpointPicker":'
    '{"image":"ghcr.io/llm-d/llm-d-inference-scheduler:v0.6.0","configData":'
    + '"'
    + CONFIG_DATA.replace("\n", "\\n")
    + '"}}}]}'
)
DOCS = "https://github.com/ai-runway/airunway/tree/main/docs/providers/llmd.md"


def test_config_is_upstreams_registration() -> None:
    assert PROVIDER.config("v0.3.0") == {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "InferenceProviderConfig",
        "metadata": {
            "name": "llmd",
            "annotations": {
                "airunway.ai/display-name": "llm-d",
                "airunway.ai/description": (
                    "llm-d provider: deploys vLLM Deployments + Services directly. Requires GPU nodes "
                    "with the NVIDIA device plugin."
                ),
                "airunway.ai/default-namespace": "default",
                "airunway.ai/documentation-url": DOCS,
                "airunway.ai/capabilities": CAPABILITIES_JSON,
                "airunway.ai/health": '{"status":{"readyPath":"ready"}}',
                "airunway.ai/installation": INSTALLATION_JSON,
                "airunway.ai/documentation": DOCS,
            },
        },
        "spec": {"capabilities": {"engines": [ENGINE]}},
    }


def test_endpoint_picker_config_is_the_spec_profile() -> None:
    assert capabilities.CONFIG_DATA == CONFIG_DATA
    config = yaml.safe_load(capabilities.CONFIG_DATA)
    assert [p["type"] for p in config["plugins"]] == [
        "prefix-cache-scorer",
        "decode-filter",
        "max-score-picker",
        "single-profile-handler",
    ]
    assert config["schedulingProfiles"] == [
        {
            "name": "default",
            "plugins": [
                {"pluginRef": "decode-filter"},
                {"pluginRef": "max-score-picker"},
                {"pluginRef": "prefix-cache-scorer", "weight": 2},
            ],
        }
    ]


def test_identity() -> None:
    assert (PROVIDER.name, PROVIDER.display_name, PROVIDER.field_manager) == (
        "llmd",
        "llm-d",
        "llmd-provider",
    )
    assert [(t.api_version, t.kind, t.plural, t.delete_on_finalize) for t in PROVIDER.targets] == [
        ("apps/v1", "Deployment", "deployments", True),
        ("v1", "Service", "services", False),
    ]
    assert PROVIDER.primary == workloads.DEPLOYMENT
    assert PROVIDER.resource_kind == "Deployment"
    assert PROVIDER.finalizer == "airunway.ai/llmd-provider"
    assert PROVIDER.pod_label == "airunway.ai/deployment"
    assert PROVIDER.uses_storage
    assert PROVIDER.sync_patch is None  # server-side apply
    assert PROVIDER.sync_replace is None
    assert PROVIDER.upstream_probe is None  # always ready
    assert PROVIDER.readiness_crd is None
