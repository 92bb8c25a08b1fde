"""NVIDIA Dynamo (SPEC-providers §3): golden renders, render rules, compatibility, mocker, typed
overrides, admission warnings, status mapping, drift and registration.

Goldens live in tests/providers/golden/dynamo/. After a deliberate change, regenerate them with
`AIRUNWAY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/providers/test_dynamo.py` and review the diff by eye.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.validation import admission as review
from airunway_operator.validation import lookup
from airunway_operator.validation import spec as spec_rules
from providers import REGISTRY, common
from providers.base import Observed, ProviderStatus, RenderContext
from providers.dynamo import PROVIDER, capabilities, compatibility, drift, engine, render, status
from providers.testing import Golden
from tests.providers import builders
from tests.unit.validation.builders import md as md_body

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Golden(Path(__file__).parent / "golden" / "dynamo")
UID = "5e1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b"
MOCKER = {"airunway.ai/dynamo-test-backend": "mocker"}
NO_GATEWAY: dict[str, Any] = {"gateway__enabled": False}
DISAGGREGATED: dict[str, Any] = {
    "serving__mode": "disaggregated",
    "scaling__prefill": {"replicas": 1, "gpu": {"count": 1}, "memory": "64Gi"},
    "scaling__decode": {"replicas": 2, "gpu": {"count": 2}, "memory": "80Gi"},
}
CONTEXTS = {engine_type: RenderContext(engine=engine_type) for engine_type in EngineType}


def deployment(
    name: str = "qwen",
    annotations: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
    **fields: Any,
) -> ModelDeployment:
    return builders.typed(UID, name, annotations, status, **fields)


def dynamo(name: str = "qwen", engine_type: str = "vllm", **fields: Any) -> ModelDeployment:
    """An explicit Dynamo deployment; aggregated ones get one GPU unless `fields` say otherwise."""
    if "serving__mode" not in fields:
        fields.setdefault("resources__gpu__count", 1)
    return deployment(name, provider__name="dynamo", engine__type=engine_type, **fields)


def mocker(name: str = "mock", **fields: Any) -> ModelDeployment:
    fields.setdefault("engine__type", "vllm")
    return deployment(name, MOCKER, provider__name="dynamo", **fields)


def sample(file: str) -> ModelDeployment:
    return builders.sample(file, UID)


def graph(md: ModelDeployment, engine_type: EngineType = EngineType.VLLM, **settings: str) -> dict[str, Any]:
    [only] = PROVIDER.render(md, RenderContext(engine=engine_type, settings=settings))
    return only


def services(md: ModelDeployment, engine_type: EngineType = EngineType.VLLM) -> dict[str, Any]:
    return graph(md, engine_type)["spec"]["services"]  # type: ignore[no-any-return]


def main(service: dict[str, Any]) -> dict[str, Any]:
    return service["extraPodSpec"]["mainContainer"]  # type: ignore[no-any-return]


# -- golden renders ------------------------------------------------------------------------------

STORAGE = [
    {"name": "weights", "purpose": "modelCache", "size": "100Gi"},
    {"name": "kernels", "purpose": "compilationCache", "claimName": "shared-kernels"},
    {"name": "datasets", "claimName": "datasets", "mountPath": "/data", "readOnly": True},
]

SCENARIOS = [
    pytest.param("vllm-aggregated-gateway", dynamo(), EngineType.VLLM, id="vLLM aggregated, gateway: Epp"),
    pytest.param(
        "vllm-aggregated-frontend",
        dynamo(**NO_GATEWAY, scaling__replicas=2, resources__memory="32Gi", resources__cpu="8"),
        EngineType.VLLM,
        id="vLLM aggregated without gateway: Frontend",
    ),
    pytest.param(
        "vllm-disaggregated-gateway",
        dynamo(**DISAGGREGATED),
        EngineType.VLLM,
        id="vLLM disaggregated, gateway: Epp with prefill and decode profiles",
    ),
    pytest.param(
        "vllm-disaggregated-frontend",
        dynamo(**DISAGGREGATED, **NO_GATEWAY, secrets__huggingFaceToken="hf-token"),
        EngineType.VLLM,
        id="vLLM disaggregated without gateway",
    ),
    pytest.param(
        "sglang-aggregated-gateway",
        dynamo(engine_type="sglang", engine__contextLength=8192, engine__trustRemoteCode=True),
        EngineType.SGLANG,
        id="SGLang aggregated, gateway",
    ),
    pytest.param(
        "sglang-disaggregated-frontend",
        dynamo(engine_type="sglang", **DISAGGREGATED, **NO_GATEWAY),
        EngineType.SGLANG,
        id="SGLang disaggregated without gateway (no NIXL flags)",
    ),
    pytest.param(
        "trtllm-aggregated-gateway",
        dynamo(engine_type="trtllm", model__servedName="qwen", engine__args={"tensor_parallel_size": "1"}),
        EngineType.TRTLLM,
        id="TensorRT-LLM aggregated, gateway",
    ),
    pytest.param(
        "trtllm-aggregated-frontend",
        dynamo(engine_type="trtllm", **NO_GATEWAY),
        EngineType.TRTLLM,
        id="TensorRT-LLM aggregated without gateway",
    ),
    pytest.param("mocker-aggregated", mocker(), EngineType.VLLM, id="mocker: Frontend, planner image"),
    pytest.param(
        "mocker-disaggregated",
        mocker(
            serving__mode="disaggregated",
            scaling__prefill__replicas=1,
            scaling__decode__replicas=0,
            model__servedName="mock",
            secrets__huggingFaceToken="hf-token",
        ),
        EngineType.VLLM,
        id="mocker disaggregated: no GPUs, NIXL env kept",
    ),
    pytest.param(
        "storage",
        dynamo(model__storage__volumes=STORAGE),
        EngineType.VLLM,
        id="storage: pvcs and mounts without readOnly, HF_HOME",
    ),
    pytest.param(
        "env-placement-args",
        dynamo(
            **NO_GATEWAY,
            model__servedName="qwen3",
            engine__contextLength=4096,
            engine__enforceEager=True,
            engine__args={"gpu-memory-utilization": "0.9", "connector": "nixl", "enable-chunked-prefill": ""},
            engine__extraArgs=["--seed", "7"],
            env=[
                {"name": "VLLM_LOGGING_LEVEL", "value": "INFO"},
                {"name": "HF_TOKEN", "value": "dropped-for-the-secret"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            ],
            secrets__huggingFaceToken="hf-token",
            nodeSelector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
            tolerations=[
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                {
                    "key": "spot",
                    "operator": "Equal",
                    "value": "yes",
                    "effect": "NoExecute",
                    "tolerationSeconds": 30,
                },
            ],
        ),
        EngineType.VLLM,
        id="env (D3), secret, placement, sorted args without connector, extraArgs",
    ),
    pytest.param(
        "typed-overrides",
        dynamo(
            **NO_GATEWAY,
            provider__overrides={
                "routerMode": "kv",
                "frontend": {"replicas": 2, "resources": {"cpu": "4", "memory": "8Gi"}},
                "epp": {"replicas": 3},
                "spec": {"services": {"VllmWorker": {"sharedMemory": {"size": "16Gi"}}}},
            },
        ),
        EngineType.VLLM,
        id="typed overrides are consumed and stripped; the rest merges last",
    ),
    pytest.param(
        "epp-overrides",
        dynamo(provider__overrides={"epp": {"replicas": 2, "image": "registry.example.com/epp:1"}}),
        EngineType.VLLM,
        id="epp typed overrides",
    ),
    pytest.param(
        "sample-dynamo-aggregated", sample("dynamo-aggregated.yaml"), EngineType.VLLM, id="sample aggregated"
    ),
    pytest.param(
        "sample-dynamo-disaggregated",
        sample("dynamo-disaggregated.yaml"),
        EngineType.VLLM,
        id="sample disaggregated",
    ),
    pytest.param("sample-dynamo-mocker", sample("dynamo-mocker.yaml"), EngineType.VLLM, id="sample mocker"),
    pytest.param("sample-dynamo-sglang", sample("dynamo-sglang.yaml"), EngineType.SGLANG, id="sample sglang"),
]


@pytest.mark.parametrize(("name", "md", "engine_type"), SCENARIOS)
def test_render_matches_reviewed_golden(name: str, md: ModelDeployment, engine_type: EngineType) -> None:
    assert PROVIDER.check_compatibility(md, engine_type) is None
    GOLDEN.check(name, PROVIDER.render(md, CONTEXTS[engine_type]))


def test_golden_folder_holds_exactly_the_scenarios() -> None:
    assert GOLDEN.names() == {p.values[0] for p in SCENARIOS}


# -- metadata and spec -----------------------------------------------------------------------------


def test_metadata_has_the_managed_labels_and_no_pod_template_metadata() -> None:
    md = dynamo(
        model__id="meta-llama/Llama-2-7b-chat-hf",
        podTemplate__metadata__labels={"team": "ml"},
        podTemplate__metadata__annotations={"a": "b"},
    )
    meta = graph(md)["metadata"]
    assert meta["labels"] == {
        "airunway.ai/managed-by": "airunway",
        "airunway.ai/deployment": "qwen",
        "airunway.ai/model-source": "huggingface",
        "airunway.ai/engine-type": "vllm",
        "airunway.ai/model-deployment": "qwen",
        "airunway.ai/model-id": "meta-llama-Llama-2-7b-chat-hf",
    }
    assert "annotations" not in meta
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "airunway.ai/v1alpha1",
            "kind": "ModelDeployment",
            "name": "qwen",
            "uid": UID,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert graph(md)["apiVersion"] == "nvidia.com/v1alpha1"
    assert graph(md)["kind"] == "DynamoGraphDeployment"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "meta-llama/Llama-2-7b-chat-hf", "meta-llama-Llama-2-7b-chat-hf", id="slash becomes dash"
        ),
        pytest.param("/org/model_v1.", "org-model_v1", id="leading and trailing separators trimmed"),
        pytest.param("a" * 70, "a" * 63, id="cut to 63 characters"),
        pytest.param("x" * 62 + "/y", "x" * 62, id="cut first, then trimmed"),
        pytest.param("org/model:q4@k", "org-model-q4-k", id="every unsafe character"),
    ],
)
def test_label_sanitizer(value: str, expected: str) -> None:
    assert render.sanitize_label_value(value) == expected


@pytest.mark.parametrize("engine_type", [EngineType.VLLM, EngineType.SGLANG, EngineType.TRTLLM])
def test_backend_framework_is_the_engine(engine_type: EngineType) -> None:
    md = dynamo(engine_type=engine_type.value)
    assert graph(md, engine_type)["spec"]["backendFramework"] == engine_type.value


@pytest.mark.parametrize(
    ("md", "keys"),
    [
        pytest.param(dynamo(), ["Epp", "VllmWorker"], id="gateway unset: Epp"),
        pytest.param(dynamo(gateway__enabled=True), ["Epp", "VllmWorker"], id="gateway enabled: Epp"),
        pytest.param(dynamo(gateway__modelName="m"), ["Epp", "VllmWorker"], id="enabled unset: Epp"),
        pytest.param(dynamo(**NO_GATEWAY), ["Frontend", "VllmWorker"], id="gateway disabled: Frontend"),
        pytest.param(mocker(gateway__enabled=True), ["Frontend", "VllmWorker"], id="mocker forces it off"),
        pytest.param(
            dynamo(**DISAGGREGATED), ["Epp", "VllmPrefillWorker", "VllmDecodeWorker"], id="disaggregated keys"
        ),
        pytest.param(
            dynamo(engine_type="sglang", **DISAGGREGATED, **NO_GATEWAY),
            ["Frontend", "VllmPrefillWorker", "VllmDecodeWorker"],
            id="worker keys are fixed for every engine",
        ),
    ],
)
def test_gateway_branch_and_service_keys(md: ModelDeployment, keys: list[str]) -> None:
    assert md.spec.engine is not None
    assert md.spec.engine.type is not None
    engine_type = md.spec.engine.type
    rendered = services(md, engine_type)
    assert list(rendered) == keys
    workers = [rendered[key] for key in keys if "Worker" in key]
    sidecars = ["frontendSidecar" in worker for worker in workers]
    assert sidecars == [keys[0] == "Epp"] * len(workers)


def test_pvcs_reference_every_claim_without_creating_it() -> None:
    spec = graph(dynamo(model__storage__volumes=STORAGE))["spec"]
    assert spec["pvcs"] == [
        {"name": "qwen-weights", "create": False},
        {"name": "shared-kernels", "create": False},
        {"name": "datasets", "create": False},
    ]
    assert "pvcs" not in graph(dynamo())["spec"]


def test_volume_mounts_never_carry_read_only() -> None:
    worker = services(dynamo(model__storage__volumes=STORAGE))["VllmWorker"]
    assert worker["volumeMounts"] == [
        {"name": "qwen-weights", "mountPoint": "/model-cache", "useAsCompilationCache": False},
        {"name": "shared-kernels", "mountPoint": "/compilation-cache", "useAsCompilationCache": True},
        {"name": "datasets", "mountPoint": "/data", "useAsCompilationCache": False},
    ]
    assert {"name": "HF_HOME", "value": "/model-cache"} in main(worker)["env"]


def test_a_custom_volume_without_a_path_is_referenced_but_not_mounted() -> None:
    md = dynamo(model__storage__volumes=[{"name": "scratch", "claimName": "scratch"}])
    assert graph(md)["spec"]["pvcs"] == [{"name": "scratch", "create": False}]
    assert "volumeMounts" not in services(md)["VllmWorker"]


# -- Frontend and Endpoint Picker ------------------------------------------------------------------


def test_frontend_defaults() -> None:
    frontend = services(dynamo(**NO_GATEWAY, secrets__huggingFaceToken="hf"))["Frontend"]
    assert frontend == {
        "componentType": "frontend",
        "replicas": 1,
        "resources": {"requests": {"cpu": "2", "memory": "4Gi"}},
        "extraPodSpec": {
            "mainContainer": {
                "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:1.1.1",
                "env": [{"name": "DYN_ROUTER_MODE", "value": "round-robin"}],
            }
        },
        "envFromSecret": "hf",
    }


def test_frontend_uses_the_worker_image() -> None:
    md = dynamo(**NO_GATEWAY, engine__image="registry.example.com/dynamo:dev")
    assert main(services(md)["Frontend"])["image"] == "registry.example.com/dynamo:dev"


def test_typed_overrides_size_the_frontend_and_leave_the_root_alone() -> None:
    md = dynamo(
        **NO_GATEWAY,
        provider__overrides={"routerMode": "kv", "frontend": {"replicas": 0, "resources": {"memory": "1Gi"}}},
    )
    rendered = graph(md)
    frontend = rendered["spec"]["services"]["Frontend"]
    assert frontend["replicas"] == 0
    assert frontend["resources"] == {"requests": {"cpu": "2", "memory": "1Gi"}}
    assert main(frontend)["env"] == [{"name": "DYN_ROUTER_MODE", "value": "kv"}]
    assert not {"routerMode", "frontend", "epp"} & set(rendered)


def test_typed_overrides_of_the_wrong_type_are_ignored() -> None:
    md = dynamo(**NO_GATEWAY, provider__overrides={"routerMode": 3, "frontend": {"replicas": "two"}})
    frontend = services(md)["Frontend"]
    assert frontend["replicas"] == 1
    assert main(frontend)["env"] == [{"name": "DYN_ROUTER_MODE", "value": "round-robin"}]


@pytest.mark.parametrize(
    ("disaggregated", "fallback", "enforce"),
    [pytest.param(False, "true", "false", id="aggregated"), pytest.param(True, "false", "true", id="disagg")],
)
def test_epp_env_follows_upstream_code(disaggregated: bool, fallback: str, enforce: str) -> None:
    md = dynamo(**DISAGGREGATED) if disaggregated else dynamo()
    epp = services(md)["Epp"]
    assert epp["componentType"] == "epp"
    assert epp["replicas"] == 1
    assert main(epp) == {
        "image": "nvcr.io/nvidia/ai-dynamo/dynamo-frontend:1.1.1",
        "env": [
            {"name": "DYN_DECODE_FALLBACK", "value": fallback},
            {"name": "DYN_ENFORCE_DISAGG", "value": enforce},
        ],
    }
    assert "envFromSecret" not in epp


def test_aggregated_epp_config_routes_to_decode_only() -> None:
    config = services(dynamo())["Epp"]["eppConfig"]["config"]
    assert [p.get("name", p["type"]) for p in config["plugins"]] == [
        "disagg-profile-handler",
        "decode-filter",
        "picker",
        "dyn-decode",
    ]
    assert config["plugins"][1]["parameters"] == {
        "label": "nvidia.com/dynamo-sub-component-type",
        "validValues": ["decode"],
        "allowsNoLabel": True,
    }
    assert config["schedulingProfiles"] == [
        {
            "name": "decode",
            "plugins": [
                {"pluginRef": "decode-filter", "weight": 1},
                {"pluginRef": "dyn-decode", "weight": 1},
                {"pluginRef": "picker", "weight": 1},
            ],
        }
    ]


def test_disaggregated_epp_config_has_prefill_then_decode() -> None:
    config = services(dynamo(**DISAGGREGATED))["Epp"]["eppConfig"]["config"]
    plugins = {p.get("name", p["type"]): p for p in config["plugins"]}
    assert list(plugins) == [
        "disagg-profile-handler",
        "prefill-filter",
        "decode-filter",
        "picker",
        "dyn-prefill",
        "dyn-decode",
    ]
    assert plugins["prefill-filter"]["parameters"]["validValues"] == ["prefill"]
    assert plugins["prefill-filter"]["parameters"]["allowsNoLabel"] is False
    assert plugins["decode-filter"]["parameters"]["allowsNoLabel"] is False
    assert plugins["dyn-prefill"]["type"] == "dyn-prefill-scorer"
    assert [p["name"] for p in config["schedulingProfiles"]] == ["prefill", "decode"]
    assert [r["pluginRef"] for r in config["schedulingProfiles"][0]["plugins"]] == [
        "prefill-filter",
        "dyn-prefill",
        "picker",
    ]


def test_epp_typed_overrides() -> None:
    md = dynamo(provider__overrides={"epp": {"replicas": 2, "image": "epp:custom"}})
    epp = services(md)["Epp"]
    assert (epp["replicas"], main(epp)["image"]) == (2, "epp:custom")


# -- workers ----------------------------------------------------------------------------------------


def test_aggregated_worker() -> None:
    md = dynamo(scaling__replicas=0, resources__gpu__count=2, resources__memory="64Gi", resources__cpu="8")
    worker = services(md)["VllmWorker"]
    assert worker["componentType"] == "worker"
    assert "subComponentType" not in worker
    assert worker["replicas"] == 1
    assert worker["resources"] == {
        "limits": {"gpu": "2", "memory": "64Gi", "cpu": "8"},
        "requests": {"gpu": "2"},
    }
    assert main(worker)["command"] == ["python3", "-m", "dynamo.vllm"]


def test_admission_default_gives_one_gpu() -> None:
    md = deployment(provider__name="dynamo", engine__type="vllm")
    assert PROVIDER.check_compatibility(md, EngineType.VLLM) is None
    assert services(md)["VllmWorker"]["resources"] == {"limits": {"gpu": "1"}, "requests": {"gpu": "1"}}


def test_gpu_type_is_ignored() -> None:
    md = dynamo(resources__gpu__type="amd.com/gpu")
    assert services(md)["VllmWorker"]["resources"]["limits"] == {"gpu": "1"}


def test_disaggregated_pools() -> None:
    md = dynamo(
        serving__mode="disaggregated",
        scaling__prefill={"replicas": 0, "gpu": {"count": 1}},
        scaling__decode={"replicas": 4, "gpu": {"count": 2}, "memory": "80Gi"},
    )
    rendered = services(md)
    prefill, decode = rendered["VllmPrefillWorker"], rendered["VllmDecodeWorker"]
    assert (prefill["subComponentType"], prefill["replicas"]) == ("prefill", 0)
    assert (decode["subComponentType"], decode["replicas"]) == ("decode", 4)
    assert prefill["resources"] == {"limits": {"gpu": "1"}, "requests": {"gpu": "1"}}
    assert decode["resources"] == {"limits": {"gpu": "2", "memory": "80Gi"}, "requests": {"gpu": "2"}}
    assert main(prefill)["args"][-4:] == [
        "--disaggregation-mode",
        "prefill",
        "--kv-transfer-config",
        '{"kv_connector":"NixlConnector","kv_role":"kv_both"}',
    ]
    assert main(decode)["env"] == [
        {"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
    ]


def test_sglang_disaggregated_has_no_nixl() -> None:
    md = dynamo(engine_type="sglang", **DISAGGREGATED)
    decode = services(md, EngineType.SGLANG)["VllmDecodeWorker"]
    assert main(decode)["args"][-2:] == ["--disaggregation-mode", "decode"]
    assert "env" not in main(decode)
    assert main(decode)["command"] == ["python3", "-m", "dynamo.sglang"]


def test_disaggregated_without_pools_is_a_render_error() -> None:
    md = dynamo(serving__mode="disaggregated", scaling__replicas=1)
    with pytest.raises(common.RenderError, match=r"spec\.scaling\.prefill and spec\.scaling\.decode"):
        graph(md)


@pytest.mark.parametrize(
    ("md", "engine_type", "expected"),
    [
        pytest.param(
            dynamo(
                model__servedName="q",
                engine__contextLength=4096,
                engine__trustRemoteCode=True,
                engine__enforceEager=True,
                engine__args={"b": "2", "a": "", "connector": "lmcache"},
                engine__extraArgs=["--x", "1"],
            ),
            EngineType.VLLM,
            [
                "--model", "Qwen/Qwen3-0.6B",
                "--served-model-name", "q",
                "--max-model-len", "4096",
                "--trust-remote-code",
                "--enable-prefix-caching",
                "--enforce-eager",
                "--a", "--b", "2",
                "--x", "1",
            ],
            id="vllm: every flag in order, connector dropped",
        ),
        pytest.param(
            dynamo(
                engine_type="sglang",
                engine__contextLength=4096,
                engine__trustRemoteCode=True,
                engine__enablePrefixCaching=False,
                engine__args={"connector": "x"},
            ),
            EngineType.SGLANG,
            [
                "--model-path", "Qwen/Qwen3-0.6B",
                "--context-length", "4096",
                "--trust-remote-code",
                "--connector", "x",
            ],
            id="sglang: --model-path, --context-length, connector kept",
        ),
        pytest.param(
            dynamo(
                engine_type="trtllm",
                model__servedName="q",
                engine__contextLength=4096,
                engine__trustRemoteCode=True,
                engine__enforceEager=True,
                engine__args={"max_batch_size": "8"},
            ),
            EngineType.TRTLLM,
            ["--model-path", "Qwen/Qwen3-0.6B", "--served-model-name", "q", "--max_batch_size", "8"],
            id="trtllm: no structured flags",
        ),
        pytest.param(
            deployment(provider__name="dynamo", resources__gpu__count=1),
            EngineType.VLLM,
            ["--model", "Qwen/Qwen3-0.6B"],
            id="no engine block: no CRD default for prefix caching",
        ),
    ],
)  # fmt: skip
def test_engine_args(md: ModelDeployment, engine_type: EngineType, expected: list[str]) -> None:
    assert main(services(md, engine_type)["VllmWorker"])["args"] == expected


@pytest.mark.parametrize("key", ["bad key", "-x", "a=b", "ü"])
def test_invalid_arg_key_is_a_render_error(key: str) -> None:
    message = f"invalid engine arg key {json.dumps(key, ensure_ascii=False)}: must contain only"
    with pytest.raises(common.RenderError, match="^" + re.escape(message)):
        graph(dynamo(engine__args={key: "1"}))


@pytest.mark.parametrize(
    ("md", "engine_type", "expected"),
    [
        pytest.param(
            mocker(engine__image="mine:1"), EngineType.VLLM, "dynamo-planner:1.1.1", id="mocker wins"
        ),
        pytest.param(
            dynamo(engine__image="mine:1", image="mine:1"), EngineType.VLLM, "mine:1", id="engine.image"
        ),
        pytest.param(dynamo(image="legacy:1"), EngineType.VLLM, "legacy:1", id="legacy spec.image"),
        pytest.param(dynamo(), EngineType.VLLM, "vllm-runtime:1.1.1", id="vllm runtime"),
        pytest.param(
            dynamo(engine_type="sglang"), EngineType.SGLANG, "sglang-runtime:1.1.1", id="sglang runtime"
        ),
        pytest.param(
            dynamo(engine_type="trtllm"), EngineType.TRTLLM, "tensorrtllm-runtime:1.1.1", id="trtllm runtime"
        ),
    ],
)
def test_worker_image_precedence(md: ModelDeployment, engine_type: EngineType, expected: str) -> None:
    assert main(services(md, engine_type)["VllmWorker"])["image"].endswith(expected)


def test_unknown_engine_gets_the_vllm_runtime() -> None:
    assert engine.runtime_image(EngineType.LLAMACPP, "9") == "nvcr.io/nvidia/ai-dynamo/vllm-runtime:9"


def test_version_setting_moves_every_default_image() -> None:
    rendered = graph(dynamo(), AIRUNWAY_DYNAMO_VERSION="1.2.0")
    epp, worker = rendered["spec"]["services"]["Epp"], rendered["spec"]["services"]["VllmWorker"]
    assert main(epp)["image"] == "nvcr.io/nvidia/ai-dynamo/dynamo-frontend:1.2.0"
    assert main(worker)["image"] == "nvcr.io/nvidia/ai-dynamo/vllm-runtime:1.2.0"
    assert worker["frontendSidecar"]["image"] == "nvcr.io/nvidia/ai-dynamo/vllm-runtime:1.2.0"
    assert render.VERSION_SETTING in PROVIDER.settings


def test_frontend_sidecar_always_runs_the_vllm_runtime() -> None:
    md = dynamo(engine_type="sglang", secrets__huggingFaceToken="hf")
    assert services(md, EngineType.SGLANG)["VllmWorker"]["frontendSidecar"] == {
        "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:1.1.1",
        "args": ["-m", "dynamo.frontend", "--router-mode", "direct"],
        "envFromSecret": "hf",
    }
    decode = services(dynamo(**DISAGGREGATED))["VllmDecodeWorker"]
    assert decode["frontendSidecar"]["args"] == ["-m", "dynamo.frontend"]


def test_user_hf_home_reaches_the_container() -> None:
    md = dynamo(
        model__storage__volumes=[{"name": "cache", "purpose": "modelCache", "size": "1Gi"}],
        env=[{"name": "HF_HOME", "value": "/elsewhere"}],
    )
    assert main(services(md)["VllmWorker"])["env"] == [{"name": "HF_HOME", "value": "/elsewhere"}]


def test_hf_token_comes_only_from_env_from_secret() -> None:
    md = dynamo(env=[{"name": "HF_TOKEN", "value": "x"}], secrets__huggingFaceToken="hf")
    worker = services(md)["VllmWorker"]
    assert worker["envFromSecret"] == "hf"
    assert "env" not in main(worker)
    # without a secret the user's HF_TOKEN is theirs
    assert main(services(dynamo(env=[{"name": "HF_TOKEN", "value": "x"}]))["VllmWorker"])["env"] == [
        {"name": "HF_TOKEN", "value": "x"}
    ]


def test_placement_on_workers_only() -> None:
    md = dynamo(
        nodeSelector={"pool": "gpu"},
        tolerations=[{"key": "k", "operator": "Equal", "value": "", "effect": ""}],
    )
    rendered = services(md)
    pod = rendered["VllmWorker"]["extraPodSpec"]
    assert pod["nodeSelector"] == {"pool": "gpu"}
    assert pod["tolerations"] == [{"key": "k", "operator": "Equal"}]
    assert "nodeSelector" not in rendered["Epp"]["extraPodSpec"]


# -- mocker ---------------------------------------------------------------------------------------------


def test_mocker_worker() -> None:
    md = mocker(model__servedName="served", engine__args={"x": "1"}, engine__extraArgs=["--y"])
    rendered = services(md)
    worker = rendered["VllmWorker"]
    assert main(worker)["image"] == "nvcr.io/nvidia/ai-dynamo/dynamo-planner:1.1.1"
    assert main(worker)["command"] == ["python3", "-m", "dynamo.mocker"]
    assert main(worker)["args"] == [
        "--model-path", "Qwen/Qwen3-0.6B",
        "--model-name", "served",
        "--speedup-ratio", "1000.0",
        "--num-gpu-blocks-override", "4096",
        "--block-size", "16",
        "--max-num-seqs", "64",
    ]  # fmt: skip
    assert worker["resources"] == {
        "limits": {"cpu": "100m", "memory": "256Mi"},
        "requests": {"cpu": "100m", "memory": "256Mi"},
    }
    assert rendered["Frontend"]["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}}
    assert main(rendered["Frontend"])["image"] == "nvcr.io/nvidia/ai-dynamo/dynamo-planner:1.1.1"


def test_mocker_model_name_defaults_to_the_id() -> None:
    assert main(services(mocker())["VllmWorker"])["args"][3] == "Qwen/Qwen3-0.6B"


def test_mocker_disaggregated_has_no_kv_transfer_config() -> None:
    md = mocker(serving__mode="disaggregated", scaling__prefill__replicas=1, scaling__decode__replicas=1)
    prefill = services(md)["VllmPrefillWorker"]
    assert main(prefill)["args"][-2:] == ["--disaggregation-mode", "prefill"]
    assert "--kv-transfer-config" not in main(prefill)["args"]
    assert main(prefill)["env"][0]["name"] == "VLLM_NIXL_SIDE_CHANNEL_HOST"


def test_mocker_keeps_secret_placement_and_storage() -> None:
    md = mocker(
        secrets__huggingFaceToken="hf",
        nodeSelector={"pool": "cpu"},
        model__storage__volumes=[{"name": "cache", "purpose": "modelCache", "claimName": "c"}],
    )
    worker = services(md)["VllmWorker"]
    assert worker["envFromSecret"] == "hf"
    assert worker["extraPodSpec"]["nodeSelector"] == {"pool": "cpu"}
    assert worker["volumeMounts"] == [
        {"name": "c", "mountPoint": "/model-cache", "useAsCompilationCache": False}
    ]


# -- overrides ------------------------------------------------------------------------------------------


def test_overrides_merge_last_and_null_deletes() -> None:
    md = dynamo(
        provider__overrides={
            "spec": {
                "services": {"VllmWorker": {"replicas": None, "sharedMemory": {"size": "8Gi"}}},
                "envs": [{"name": "A", "value": "1"}],
            }
        }
    )
    spec = graph(md)["spec"]
    assert "replicas" not in spec["services"]["VllmWorker"]
    assert spec["services"]["VllmWorker"]["sharedMemory"] == {"size": "8Gi"}
    assert spec["envs"] == [{"name": "A", "value": "1"}]


@pytest.mark.parametrize("key", sorted(common.BLOCKED_OVERRIDE_KEYS))
def test_blocked_override_keys(key: str) -> None:
    with pytest.raises(common.RenderError, match=f"spec.provider.overrides.{key} cannot be overridden"):
        graph(dynamo(provider__overrides={key: {}}))


def test_render_leaves_the_deployment_alone() -> None:
    md = dynamo(provider__overrides={"routerMode": "kv", "spec": {"x": {"y": 1}}})
    before = md.model_dump()
    first = graph(md)
    first["spec"]["x"]["y"] = 2
    assert graph(md)["spec"]["x"] == {"y": 1}
    assert md.model_dump() == before


def test_sidecars_are_independent_objects() -> None:
    rendered = services(dynamo(**DISAGGREGATED))
    assert (
        rendered["VllmPrefillWorker"]["frontendSidecar"]
        is not rendered["VllmDecodeWorker"]["frontendSidecar"]
    )


# -- compatibility ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "engine_type", "expected"),
    [
        pytest.param(dynamo(), EngineType.VLLM, None, id="vllm with a GPU"),
        pytest.param(
            dynamo(engine_type="llamacpp"),
            EngineType.LLAMACPP,
            "Dynamo does not support llamacpp engine",
            id="llamacpp",
        ),
        pytest.param(
            mocker(engine__type="sglang"),
            EngineType.SGLANG,
            "Dynamo mocker mode only supports the vllm engine",
            id="mocker with sglang",
        ),
        pytest.param(
            mocker(serving__mode="disaggregated", scaling__prefill__replicas=1),
            EngineType.VLLM,
            "Dynamo mocker disaggregated mode requires spec.scaling.prefill and spec.scaling.decode",
            id="mocker disaggregated without decode",
        ),
        pytest.param(
            mocker(serving__mode="disaggregated"),
            EngineType.VLLM,
            "Dynamo mocker disaggregated mode requires spec.scaling.prefill and spec.scaling.decode",
            id="mocker disaggregated without scaling",
        ),
        pytest.param(mocker(), EngineType.VLLM, None, id="mocker needs no GPU"),
        pytest.param(
            dynamo(resources__gpu__count=0),
            EngineType.VLLM,
            "Dynamo requires GPU (set resources.gpu.count > 0)",
            id="aggregated without GPU",
        ),
        pytest.param(
            deployment(provider__name="dynamo", engine__type="vllm", resources__memory="8Gi"),
            EngineType.VLLM,
            "Dynamo requires GPU (set resources.gpu.count > 0)",
            id="resources without gpu",
        ),
        pytest.param(
            dynamo(
                serving__mode="disaggregated",
                scaling__prefill__gpu__count=1,
                scaling__decode__replicas=1,
            ),
            EngineType.VLLM,
            "Dynamo requires GPU (set resources.gpu.count > 0)",
            id="decode without GPU (D11)",
        ),
        pytest.param(
            dynamo(
                serving__mode="disaggregated", scaling__decode__gpu__count=1, scaling__prefill__replicas=1
            ),
            EngineType.VLLM,
            "Dynamo requires GPU (set resources.gpu.count > 0)",
            id="prefill without GPU",
        ),
        pytest.param(
            dynamo(**DISAGGREGATED, engine_type="sglang"), EngineType.SGLANG, None, id="sglang disaggregated"
        ),
        pytest.param(
            dynamo(engine_type="trtllm"),
            EngineType.TRTLLM,
            None,
            id="trtllm aggregated (capabilities gate modes)",
        ),
    ],
)
def test_compatibility(md: ModelDeployment, engine_type: EngineType, expected: str | None) -> None:
    assert PROVIDER.check_compatibility(md, engine_type) == expected


def test_the_mocker_annotation_needs_the_exact_value() -> None:
    md = deployment(annotations={"airunway.ai/dynamo-test-backend": "Mocker"}, engine__type="vllm")
    assert not compatibility.is_mocker(md)


# -- admission: warnings and the validation data (D3, D7, D10) -----------------------------------------


def warnings_of(md: ModelDeployment) -> list[str]:
    return PROVIDER.admission_warnings(md)


def test_a_plain_deployment_has_no_warnings() -> None:
    assert warnings_of(dynamo()) == []
    assert warnings_of(mocker()) == []


@pytest.mark.parametrize(
    ("md", "words"),
    [
        pytest.param(
            dynamo(model__storage__volumes=[{"name": "ro", "claimName": "ro", "readOnly": True}]),
            ("spec.model.storage.volumes['ro'].readOnly is not enforced by provider dynamo",),
            id="read-only storage is not enforced (D7)",
        ),
        pytest.param(
            dynamo(podTemplate__metadata__labels={"team": "ml"}),
            ("spec.podTemplate.metadata is ignored by provider dynamo", "extraPodMetadata"),
            id="podTemplate metadata",
        ),
        pytest.param(
            dynamo(engine_type="trtllm", engine__contextLength=4096),
            ("spec.engine.contextLength is ignored by provider dynamo with engine trtllm",),
            id="trtllm context length",
        ),
        pytest.param(
            dynamo(engine__enablePrefixCaching=False),
            ("spec.engine.enablePrefixCaching false is ignored by provider dynamo",),
            id="prefix caching off",
        ),
        pytest.param(
            dynamo(resources__gpu__type="amd.com/gpu"),
            ("spec.resources.gpu.type 'amd.com/gpu' is ignored by provider dynamo",),
            id="gpu type",
        ),
        pytest.param(
            dynamo(**DISAGGREGATED, resources__cpu="4"),
            ("spec.resources.cpu is ignored by provider dynamo in disaggregated mode",),
            id="aggregated sizing in disaggregated mode",
        ),
        pytest.param(
            dynamo(provider__overrides={"frontend": {"image": "x", "replicas": "2"}, "routerMode": ["kv"]}),
            (
                "spec.provider.overrides.routerMode is ignored by provider dynamo",
                "spec.provider.overrides.frontend.image is ignored",
                "spec.provider.overrides.frontend.replicas is ignored",
            ),
            id="typed overrides that are not used",
        ),
    ],
)
def test_admission_warnings(md: ModelDeployment, words: tuple[str, ...]) -> None:
    joined = "\n".join(warnings_of(md))
    for word in words:
        assert word in joined


def test_provider_data_for_admission() -> None:
    assert PROVIDER.allowed_override_paths == frozenset(
        {
            "routerMode",
            "frontend.replicas",
            "frontend.resources.cpu",
            "frontend.resources.memory",
            "epp.replicas",
            "epp.image",
        }
    )
    assert PROVIDER.gpu_optional_annotation == ("airunway.ai/dynamo-test-backend", "mocker")
    assert spec_rules.provider_plugin("dynamo") is PROVIDER


def test_admission_reads_the_typed_override_allowance_from_the_provider() -> None:
    body = md_body(provider__name="dynamo", provider__overrides={"frontend": {"replicas": 2}})
    assert review.validate_create(body, lookup.NOT_LOOKED_UP).allowed
    other = md_body(provider__name="kaito", provider__overrides={"frontend": {"replicas": 2}})
    assert not review.validate_create(other, lookup.NOT_LOOKED_UP).allowed


def test_admission_reads_the_mocker_annotation_from_the_provider() -> None:
    spec = deployment("mock", MOCKER, provider__name="dynamo").spec
    assert spec_rules.is_gpu_optional(MOCKER, spec)
    assert not spec_rules.is_gpu_optional({}, spec)
    assert not spec_rules.is_gpu_optional(MOCKER, deployment("mock", MOCKER, provider__name="kaito").spec)
    assert [p.name for p in REGISTRY if p.gpu_optional_annotation] == ["dynamo"]


# -- status mapping -----------------------------------------------------------------------------------


def dgd(name: str = "qwen", **status_fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment"}
    body["metadata"] = {"name": name, "namespace": "default"}
    if status_fields:
        body["status"] = status_fields
    return body


def mapped(md: ModelDeployment, body: dict[str, Any] | None) -> ProviderStatus:
    return PROVIDER.map_status(md, Observed.of(body))


FRONTEND_MD = dynamo(**NO_GATEWAY)


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        pytest.param("successful", Phase.RUNNING, id="successful"),
        pytest.param("initializing", Phase.DEPLOYING, id="initializing"),
        pytest.param("deploying", Phase.DEPLOYING, id="deploying"),
        pytest.param("failed", Phase.FAILED, id="failed"),
        pytest.param("pending", Phase.PENDING, id="pending"),
        pytest.param("exploded", Phase.PENDING, id="unknown"),
        pytest.param(None, Phase.PENDING, id="absent"),
    ],
)
def test_state_decides_the_phase(state: str | None, phase: Phase) -> None:
    fields: dict[str, Any] = {"state": state} if state is not None else {"conditions": []}
    assert mapped(FRONTEND_MD, dgd(**fields)).phase is phase


def test_absent_graph_and_missing_status_are_pending_with_nothing_else() -> None:
    assert mapped(FRONTEND_MD, None) == ProviderStatus(Phase.PENDING)
    assert mapped(FRONTEND_MD, dgd()) == ProviderStatus(Phase.PENDING)


def test_running_sums_services() -> None:
    body = dgd(
        state="successful",
        services={
            "Frontend": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1},
            "VllmWorker": {"replicas": 2, "availableReplicas": 2},
            "Other": {"replicas": 1, "readyReplicas": 0},
        },
    )
    assert mapped(FRONTEND_MD, body) == ProviderStatus(
        Phase.RUNNING,
        "",
        desired=4,
        ready=3,
        available=3,
        endpoint_service="qwen-frontend",
        endpoint_port=8000,
    )


def test_top_level_counts_win() -> None:
    body = dgd(
        state="deploying",
        desiredReplicas=5,
        readyReplicas=1,
        availableReplicas=2,
        services={"VllmWorker": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}},
    )
    result = mapped(FRONTEND_MD, body)
    assert (result.desired, result.ready, result.available) == (5, 1, 2)


@pytest.mark.parametrize(
    ("status_fields", "message"),
    [
        pytest.param({"message": "quota"}, "quota", id="status.message"),
        pytest.param({"error": "image pull"}, "image pull", id="status.error"),
        pytest.param(
            {
                "conditions": [
                    {"type": "Ready", "status": "True", "message": "fine"},
                    {"type": "Scheduled", "status": "False", "message": ""},
                    {"type": "Available", "status": "False", "message": "no GPUs"},
                ]
            },
            "no GPUs",
            id="first False condition with a message",
        ),
        pytest.param({}, "deployment failed", id="fallback"),
    ],
)
def test_failed_message_falls_back(status_fields: dict[str, Any], message: str) -> None:
    result = mapped(FRONTEND_MD, dgd(state="failed", **status_fields))
    assert (result.phase, result.message) == (Phase.FAILED, message)


def test_message_is_passed_through_in_other_states() -> None:
    assert mapped(FRONTEND_MD, dgd(state="pending", message="waiting")).message == "waiting"
    assert mapped(FRONTEND_MD, dgd(state="pending", error="x")).message == ""


@pytest.mark.parametrize(
    ("md", "status_fields", "endpoint"),
    [
        pytest.param(FRONTEND_MD, {}, ("qwen-frontend", 8000), id="no gateway: the Frontend Service"),
        pytest.param(dynamo(), {}, (None, None), id="gateway mode: cleared (D8)"),
        pytest.param(
            dynamo(), {"endpoint": {"service": "svc", "port": 9000}}, ("svc", 9000), id="status.endpoint wins"
        ),
        pytest.param(mocker(), {}, ("mock-frontend", 8000), id="mocker has a Frontend"),
    ],
)
def test_endpoint(md: ModelDeployment, status_fields: dict[str, Any], endpoint: tuple[Any, Any]) -> None:
    result = mapped(md, dgd(md.metadata.name or "", state="successful", **status_fields))
    assert (result.endpoint_service, result.endpoint_port) == endpoint


def test_status_ignores_malformed_fields() -> None:
    body = dgd(state=3, services={"a": "x", "b": {"replicas": True, "readyReplicas": "2"}}, conditions="no")
    assert mapped(FRONTEND_MD, body) == ProviderStatus(
        Phase.PENDING,
        "",
        desired=0,
        ready=0,
        available=0,
        endpoint_service="qwen-frontend",
        endpoint_port=8000,
    )
    assert status.error_message({"conditions": [1, {"status": "False", "message": 2}]}) == "deployment failed"


# -- drift (§3.6, D21) ------------------------------------------------------------------------------------


def live_copy(desired: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(desired)
    live["metadata"] |= {
        "resourceVersion": "42",
        "uid": "live-uid",
        "annotations": {"dynamo.nvidia.com/restarted": "now"},
        "finalizers": ["nvidia.com/finalizer"],
    }
    live["status"] = {"state": "successful"}
    return live


def test_in_sync_when_only_server_empties_differ() -> None:
    desired = graph(dynamo())
    live = live_copy(desired)
    live["spec"]["services"]["Epp"]["dynamoNamespace"] = ""
    live["spec"]["services"]["VllmWorker"]["annotations"] = {}
    live["spec"]["services"]["VllmWorker"]["extraPodSpec"]["mainContainer"]["env"] = [
        {"name": "A", "value": ""}
    ]
    desired["spec"]["services"]["VllmWorker"]["extraPodSpec"]["mainContainer"]["env"] = [{"name": "A"}]
    assert drift.sync_replace(desired, live) is None


def test_a_spec_change_is_a_full_replace_with_the_live_version() -> None:
    desired = graph(dynamo())
    live = live_copy(desired)
    live["spec"]["services"]["VllmWorker"]["replicas"] = 7
    live["metadata"]["labels"]["airunway.ai/engine-type"] = "stale"
    body = drift.sync_replace(desired, live)
    assert body is not None
    assert body["spec"] == desired["spec"]
    assert body["metadata"]["resourceVersion"] == "42"
    assert body["metadata"]["labels"] == desired["metadata"]["labels"]
    assert body["metadata"]["annotations"] == {"dynamo.nvidia.com/restarted": "now"}
    assert body["metadata"]["finalizers"] == ["nvidia.com/finalizer"]
    assert body["metadata"]["ownerReferences"] == desired["metadata"]["ownerReferences"]
    assert "status" not in body
    assert "resourceVersion" not in desired["metadata"], "the desired object is left alone"


def test_lists_are_compared_whole() -> None:
    desired = graph(dynamo())
    live = live_copy(desired)
    live["spec"]["services"]["VllmWorker"]["extraPodSpec"]["mainContainer"]["args"].append("--extra")
    assert drift.sync_replace(desired, live) is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"a": "", "b": {}, "c": {"d": ""}, "e": 0}, {"e": 0}, id="empties dropped recursively"),
        pytest.param([{"a": ""}, ""], [{}, ""], id="list elements walked but kept"),
        pytest.param({"a": False, "b": []}, {"a": False, "b": []}, id="false and empty lists stay"),
    ],
)
def test_prune(value: Any, expected: Any) -> None:
    assert drift.prune(value) == expected


# -- registration (§3.1) -----------------------------------------------------------------------------------


def test_provider_identity() -> None:
    assert PROVIDER.name == "dynamo"
    assert PROVIDER.display_name == "Dynamo"
    assert PROVIDER.finalizer == "airunway.ai/dynamo-provider"
    assert PROVIDER.primary == render.DGD
    assert PROVIDER.targets == (render.DGD,)
    assert render.DGD.delete_on_finalize
    assert PROVIDER.readiness_crd == "dynamographdeployments.nvidia.com"
    assert PROVIDER.uses_storage
    assert PROVIDER.sync_replace is drift.sync_replace
    assert PROVIDER.sync_patch is None
    assert PROVIDER.pod_label is None
    assert PROVIDER.settings.keys() == {"AIRUNWAY_DYNAMO_VERSION"}
    assert [p.name for p in REGISTRY] == ["kaito", "dynamo", "kuberay", "llmd", "vllm"]


def test_config_spec() -> None:
    spec = PROVIDER.config("v1")["spec"]
    gateway = {
        "managesInferencePool": True,
        "inferencePoolNamePattern": "{name}-pool",
        "inferencePoolNamespace": "{namespace}",
    }
    assert spec["capabilities"]["engines"] == [
        {
            "name": "vllm",
            "servingModes": ["aggregated", "disaggregated"],
            "apiFormats": ["openai-chat", "openai-responses", "anthropic-messages"],
            "gpuSupport": True,
            "gateway": gateway,
        },
        {
            "name": "sglang",
            "servingModes": ["aggregated", "disaggregated"],
            "apiFormats": ["openai-chat", "anthropic-messages"],
            "gpuSupport": True,
            "gateway": gateway,
        },
        {
            "name": "trtllm",
            "servingModes": ["aggregated"],
            "apiFormats": ["openai-chat", "openai-responses"],
            "gpuSupport": True,
            "gateway": gateway,
        },
    ]
    assert spec["selectionRules"] == [
        {"condition": "spec.engine.type == 'trtllm'", "priority": 100},
        {"condition": "spec.engine.type == 'sglang'", "priority": 100},
        {"condition": "has(spec.serving) && spec.serving.mode == 'disaggregated'", "priority": 90},
        {
            "condition": (
                "has(spec.resources.gpu) && spec.resources.gpu.count > 0 && spec.engine.type == 'vllm'"
            ),
            "priority": 50,
        },
    ]


def test_config_annotations() -> None:
    annotations = PROVIDER.config("v1")["metadata"]["annotations"]
    assert annotations["airunway.ai/display-name"] == "Dynamo"
    assert annotations["airunway.ai/description"] == "NVIDIA Dynamo for high-performance GPU inference"
    assert annotations["airunway.ai/default-namespace"] == "dynamo-system"
    docs = "https://github.com/ai-runway/airunway/tree/main/docs/providers/dynamo.md"
    assert annotations["airunway.ai/documentation-url"] == annotations["airunway.ai/documentation"] == docs
    assert (
        json.loads(annotations["airunway.ai/capabilities"]) == PROVIDER.config("v1")["spec"]["capabilities"]
    )
    assert json.loads(annotations["airunway.ai/health"]) == {
        "crds": [{"displayName": "DynamoGraphDeployment CRD", "name": "dynamographdeployments.nvidia.com"}],
        "operatorPods": [
            {
                "namespace": "dynamo-system",
                "selectors": [
                    "control-plane=controller-manager,app.kubernetes.io/name=dynamo-operator,"
                    "app.kubernetes.io/instance=dynamo-platform",
                    "app.kubernetes.io/name=dynamo-operator",
                    "control-plane=controller-manager",
                ],
            },
            {"selectors": ["app.kubernetes.io/name=dynamo-operator"]},
        ],
    }
    assert annotations["airunway.ai/health"].startswith('{"crds":[{"displayName":')
    url = "https://helm.ngc.nvidia.com/nvidia/ai-dynamo/charts/dynamo-platform-1.1.1.tgz"
    installation = json.loads(annotations["airunway.ai/installation"])
    assert installation["helmRepos"] == [
        {"name": "nvidia-ai-dynamo", "url": "https://helm.ngc.nvidia.com/nvidia/ai-dynamo"}
    ]
    assert installation["helmCharts"] == [
        {
            "name": "dynamo-platform",
            "chart": url,
            "namespace": "dynamo-system",
            "createNamespace": True,
            "values": {"global.grove.install": True},
        }
    ]
    [step] = installation["steps"]
    assert step["command"] == (
        f"helm upgrade --install dynamo-platform {url} --namespace dynamo-system --create-namespace "
        "--set-json global.grove.install=true"
    )
    assert capabilities.installation("1.2.0")["helmCharts"][0]["chart"].endswith("dynamo-platform-1.2.0.tgz")
