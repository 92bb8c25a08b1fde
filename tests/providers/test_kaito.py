"""KAITO provider: Workspace renders against reviewed goldens, and tables over every pure part.

Goldens live in tests/providers/golden/kaito/<scenario>.yaml; regenerate them with
`AIRUNWAY_UPDATE_GOLDEN=1 pytest tests/providers/test_kaito.py` and review the diff by eye.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from providers import common
from providers.base import Observed, ProbeResult, ProviderStatus, RenderContext
from providers.kaito import PROVIDER, capabilities, drift, health, render
from tests.unit.validation.builders import md as md_body

GOLDEN = Path(__file__).parent / "golden" / "kaito"
UPDATE_GOLDEN = os.environ.get("AIRUNWAY_UPDATE_GOLDEN") == "1"
UID = "3f0c1a52-7d8e-4b39-9a61-2c4e5f6a7b80"
NAP = {render.NODE_AUTO_PROVISIONING: "true"}


def md(name: str = "qwen", status_body: dict[str, Any] | None = None, **fields: Any) -> ModelDeployment:
    body = md_body(name, status=status_body, **fields)
    body["metadata"]["uid"] = UID
    return ModelDeployment.parse(body)


def engine_of(deployment: ModelDeployment) -> EngineType:
    if deployment.spec.engine is not None and deployment.spec.engine.type is not None:
        return deployment.spec.engine.type
    assert deployment.status is not None
    assert deployment.status.engine is not None
    assert deployment.status.engine.type is not None
    return deployment.status.engine.type


def rendered(deployment: ModelDeployment, settings: dict[str, str] | None = None) -> dict[str, Any]:
    manifests = PROVIDER.render(deployment, RenderContext(engine_of(deployment), settings or {}))
    assert len(manifests) == 1
    return manifests[0]


# -- golden renders --------------------------------------------------------------------------------

SCENARIOS: dict[str, tuple[str, ModelDeployment, dict[str, str]]] = {
    "vllm-preset-hf-secret": (
        "vLLM preset: model id is the preset name, the HF token secret becomes modelAccessSecret, "
        "one GPU selects nvidia.com/gpu.present nodes",
        md(
            "qwen3-kaito",
            provider__name="kaito",
            engine__type="vllm",
            resources__gpu__count=1,
            secrets__huggingFaceToken="hf-token",
        ),
        {},
    ),
    "vllm-node-selector-merge": (
        "nodeSelector entries join the label selector (kubernetes.io/os may be replaced); the GPU "
        "label is set last and beats the user's value",
        md(
            "qwen-pinned",
            engine__type="vllm",
            resources__gpu__count=2,
            scaling__replicas=2,
            nodeSelector={"agentpool": "gpu", "nvidia.com/gpu.present": "false", "kubernetes.io/os": "linux"},
        ),
        {},
    ),
    "vllm-pod-template-metadata": (
        "podTemplate labels and annotations land on the Workspace; managed airunway.ai/* keys win "
        "(D14); env and tuning flags have no place in a preset and are not rendered",
        md(
            "qwen-labelled",
            engine__type="vllm",
            engine__contextLength=8192,
            resources__gpu__count=1,
            env=[{"name": "VLLM_LOGGING_LEVEL", "value": "INFO"}],
            podTemplate={
                "metadata": {
                    "labels": {"team": "ml-platform", "airunway.ai/managed-by": "someone-else"},
                    "annotations": {"prometheus.io/scrape": "true", "example.com/owner": "a&b <ml>"},
                }
            },
        ),
        {},
    ),
    "llamacpp-gguf-url": (
        "llama.cpp template: engine.image, ggufUrl as the model argument, cpu/memory requests, every "
        "env source kept and the HF secret replacing a user HF_TOKEN; CPU-only, so no GPU label",
        md(
            "gemma-cpu",
            engine__type="llamacpp",
            engine__image="ghcr.io/kaito-project/aikit/runners/llama-cpp-cpu:latest",
            engine__args={"ggufUrl": "https://huggingface.co/x/y/resolve/main/model.gguf", "threads": "8"},
            model__id="google/gemma-3-1b-it-qat-q8_0-gguf",
            resources={"cpu": "4", "memory": "8Gi"},
            secrets__huggingFaceToken="hf-token",
            env=[
                {"name": "LLAMA_LOG", "value": "info"},
                {"name": "HF_TOKEN", "value": "plain-text-token"},
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "runtime", "key": "mode"}}},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            ],
        ),
        {},
    ),
    "llamacpp-custom-source": (
        "model.source custom: the image holds the model, so only --address is passed; the legacy "
        "spec.image is used; one GPU selects GPU nodes but requests none",
        md(
            "baked-model",
            engine__type="llamacpp",
            image="registry.example.com/llama-baked:1.0",
            model={"source": "custom"},
            resources__gpu__count=1,
        ),
        {},
    ),
    "nap-gpu-instance-type": (
        "node auto-provisioning on: a GPU deployment gets the GPU instance type (trimmed)",
        md("qwen-nap", engine__type="vllm", resources__gpu__count=1),
        {
            render.NODE_AUTO_PROVISIONING: " Enabled ",
            render.GPU_INSTANCE_TYPE: " Standard_NC24ads_A100_v4 ",
            render.CPU_INSTANCE_TYPE: "Standard_D8s_v5",
        },
    ),
    "nap-cpu-instance-type": (
        "node auto-provisioning on: a CPU-only llama.cpp deployment gets the CPU instance type",
        md(
            "gemma-nap",
            engine__type="llamacpp",
            image="ghcr.io/kaito-project/aikit/runners/llama-cpp-cpu:latest",
            model__id="google/gemma-3-1b-it-qat-q8_0-gguf",
        ),
        {
            **NAP,
            render.GPU_INSTANCE_TYPE: "Standard_NC24ads_A100_v4",
            render.CPU_INSTANCE_TYPE: "Standard_D8s_v5",
        },
    ),
    "overrides-null-deletes": (
        "overrides merge last: null deletes instanceType and the GPU label, maps merge, scalars "
        "replace, and the last-applied annotation records the result",
        md(
            "qwen-overridden",
            engine__type="vllm",
            resources__gpu__count=1,
            scaling__replicas=3,
            secrets__huggingFaceToken="hf-token",
            provider__overrides={
                "resource": {
                    "instanceType": None,
                    "labelSelector": {"matchLabels": {"nvidia.com/gpu.present": None, "gpu": "a100"}},
                },
                "inference": {
                    "config": "qwen-inference-params",
                    "preset": {"presetOptions": {"modelAccessSecret": "other"}},
                },
            },
        ),
        {**NAP, render.GPU_INSTANCE_TYPE: "Standard_NC24ads_A100_v4"},
    ),
}


def golden_text(description: str, manifests: list[dict[str, Any]]) -> str:
    body = yaml.safe_dump_all(manifests, sort_keys=False, width=4096, allow_unicode=True)
    return f"# {description}\n{body}"


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_render_matches_reviewed_golden(scenario: str) -> None:
    description, deployment, settings = SCENARIOS[scenario]
    manifests = PROVIDER.render(deployment, RenderContext(engine_of(deployment), settings))
    text = golden_text(description, manifests)
    path = GOLDEN / f"{scenario}.yaml"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden {path}; run with AIRUNWAY_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"render of {scenario} differs from {path}"


def test_goldens_have_no_stale_files() -> None:
    assert {p.stem for p in GOLDEN.glob("*.yaml")} == set(SCENARIOS)


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_every_render_is_owned_labelled_deterministic_and_self_describing(scenario: str) -> None:
    _, deployment, settings = SCENARIOS[scenario]
    workspace = rendered(deployment, settings)
    assert workspace["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "airunway.ai/v1alpha1",
            "kind": "ModelDeployment",
            "name": deployment.metadata.name,
            "uid": UID,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    labels = workspace["metadata"]["labels"]
    assert labels[common.MANAGED_BY] == "airunway"
    assert labels[common.MODEL_DEPLOYMENT_LABEL] == deployment.metadata.name
    assert rendered(deployment, settings) == workspace
    annotation = workspace["metadata"]["annotations"][drift.LAST_APPLIED]
    assert annotation == drift.last_applied(workspace)
    assert drift.sync_patch(workspace, copy.deepcopy(workspace)) is None


# -- render rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "count"),
    [
        pytest.param({}, 1, id="no scaling renders one replica"),
        pytest.param({"scaling__replicas": 0}, 1, id="zero replicas render one (upstream 0 -> 1)"),
        pytest.param({"scaling__replicas": 4}, 4, id="replicas become resource.count"),
    ],
)
def test_resource_count(fields: dict[str, Any], count: int) -> None:
    workspace = rendered(md(engine__type="vllm", **fields))
    assert workspace["resource"]["count"] == count


@pytest.mark.parametrize(
    ("value", "instance_type"),
    [
        pytest.param("1", "gpu-sku", id="1 is truthy"),
        pytest.param(" YES ", "gpu-sku", id="trimmed and case-insensitive"),
        pytest.param("on", "gpu-sku", id="on is truthy"),
        pytest.param("enabled", "gpu-sku", id="enabled is truthy"),
        pytest.param("0", None, id="0 is off"),
        pytest.param("false", None, id="false is off"),
        pytest.param("", None, id="empty is off"),
    ],
)
def test_node_auto_provisioning_switch(value: str, instance_type: str | None) -> None:
    settings = {render.NODE_AUTO_PROVISIONING: value, render.GPU_INSTANCE_TYPE: "gpu-sku"}
    workspace = rendered(md(engine__type="vllm", resources__gpu__count=1), settings)
    assert workspace["resource"].get("instanceType") == instance_type


def test_node_auto_provisioning_without_an_instance_type_renders_none() -> None:
    workspace = rendered(
        md(engine__type="vllm", resources__gpu__count=1), {**NAP, render.GPU_INSTANCE_TYPE: " "}
    )
    assert "instanceType" not in workspace["resource"]


def test_settings_come_only_from_the_render_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(render.NODE_AUTO_PROVISIONING, "true")
    monkeypatch.setenv(render.GPU_INSTANCE_TYPE, "from-env")
    workspace = rendered(md(engine__type="vllm", resources__gpu__count=1))
    assert "instanceType" not in workspace["resource"]


def test_explicit_vllm_without_resources_gets_upstreams_default_gpu() -> None:
    workspace = rendered(md(engine__type="vllm"))
    assert workspace["resource"]["labelSelector"]["matchLabels"][render.GPU_PRESENT_LABEL] == "true"


def test_engine_label_uses_the_resolved_engine() -> None:
    deployment = md(status_body={"engine": {"type": "llamacpp"}}, image="llama:1")
    workspace = rendered(deployment)
    assert workspace["metadata"]["labels"][common.ENGINE_TYPE_LABEL] == "llamacpp"
    assert "template" in workspace["inference"]


@pytest.mark.parametrize(
    ("deployment", "engine", "message"),
    [
        pytest.param(
            md(engine__type="llamacpp"),
            EngineType.LLAMACPP,
            "failed to build inference spec: image is required for llamacpp engine type",
            id="llamacpp without any image",
        ),
        pytest.param(
            md(engine__type="sglang"),
            EngineType.SGLANG,
            "failed to build inference spec: unsupported engine type for KAITO: sglang",
            id="an engine KAITO does not run",
        ),
        pytest.param(
            md(engine__type="vllm", provider__overrides={"metadata": {"labels": {"x": "y"}}}),
            EngineType.VLLM,
            "spec.provider.overrides.metadata cannot be overridden",
            id="an override of metadata",
        ),
    ],
)
def test_render_errors(deployment: ModelDeployment, engine: EngineType, message: str) -> None:
    with pytest.raises(common.RenderError) as caught:
        PROVIDER.render(deployment, RenderContext(engine))
    assert str(caught.value) == message


def test_overrides_never_alias_the_deployment() -> None:
    deployment = md(engine__type="vllm", provider__overrides={"inference": {"adapters": [{"strength": "1"}]}})
    workspace = rendered(deployment)
    workspace["inference"]["adapters"][0]["strength"] = "0.5"
    assert deployment.spec.provider is not None
    assert deployment.spec.provider.overrides is not None
    assert deployment.spec.provider.overrides["inference"]["adapters"][0]["strength"] == "1"


# -- compatibility and admission warnings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("deployment", "engine", "message"),
    [
        pytest.param(md(engine__type="vllm"), EngineType.VLLM, None, id="vllm is served"),
        pytest.param(
            md(engine__type="sglang"), EngineType.SGLANG, "KAITO does not support sglang engine", id="sglang"
        ),
        pytest.param(
            md(engine__type="trtllm"), EngineType.TRTLLM, "KAITO does not support trtllm engine", id="trtllm"
        ),
        pytest.param(
            md(engine__type="vllm", serving__mode="disaggregated"),
            EngineType.VLLM,
            "KAITO does not support disaggregated serving mode",
            id="disaggregated",
        ),
        pytest.param(
            md(engine__type="sglang", serving__mode="disaggregated"),
            EngineType.SGLANG,
            "KAITO does not support sglang engine",
            id="the engine is checked before the mode",
        ),
        pytest.param(
            md(engine__type="llamacpp"),
            EngineType.LLAMACPP,
            "llamacpp engine requires spec.image to be set",
            id="llamacpp without an image",
        ),
        pytest.param(md(image="llama:1"), EngineType.LLAMACPP, None, id="llamacpp with spec.image"),
        pytest.param(
            md(engine__image="llama:1"), EngineType.LLAMACPP, None, id="llamacpp with spec.engine.image (D13)"
        ),
    ],
)
def test_compatibility(deployment: ModelDeployment, engine: EngineType, message: str | None) -> None:
    assert PROVIDER.check_compatibility(deployment, engine) == message


def _warned_fields(deployment: ModelDeployment) -> list[str]:
    return [warning.split(" ", 1)[0] for warning in PROVIDER.admission_warnings(deployment)]


@pytest.mark.parametrize(
    ("deployment", "fields"),
    [
        pytest.param(md(engine__type="vllm", secrets__huggingFaceToken="hf"), [], id="plain preset: none"),
        pytest.param(
            md(
                engine__type="vllm",
                engine__image="vllm/vllm-openai:latest",
                engine__args={"max-num-seqs": "8"},
                engine__extraArgs=["--disable-log-requests"],
                engine__contextLength=4096,
                engine__trustRemoteCode=True,
                engine__enablePrefixCaching=False,
                engine__enforceEager=True,
                resources={"gpu": {"count": 1}, "memory": "24Gi", "cpu": "4"},
                env=[{"name": "A", "value": "b"}],
                tolerations=[{"key": "gpu", "operator": "Exists"}],
                model__servedName="qwen",
                model__storage={"volumes": [{"name": "cache", "claimName": "c", "purpose": "modelCache"}]},
            ),
            [
                "spec.model.servedName",
                "spec.model.storage",
                "spec.engine.contextLength",
                "spec.engine.trustRemoteCode",
                "spec.engine.enablePrefixCaching",
                "spec.engine.enforceEager",
                "spec.engine.extraArgs",
                "spec.engine.image",
                "spec.engine.args",
                "spec.resources.cpu",
                "spec.resources.memory",
                "spec.env",
                "spec.tolerations",
            ],
            id="every field the preset cannot use",
        ),
        pytest.param(
            md(
                engine__type="llamacpp",
                image="llama:1",
                engine__args={"ggufUrl": "https://x/m.gguf", "threads": "8", "ctx": "4"},
                resources={"cpu": "4", "memory": "8Gi"},
                env=[{"name": "A", "value": "b"}],
            ),
            ["spec.engine.args"],
            id="llama.cpp uses image, env, cpu and memory, and only ggufUrl of the args",
        ),
        pytest.param(
            md(image="llama:1", tolerations=[{"operator": "Exists"}]),
            ["spec.tolerations"],
            id="engine unknown at admission: only engine-independent warnings",
        ),
        pytest.param(
            md(model={"source": "custom", "servedName": "x"}, engine__type="vllm"),
            [],
            id="servedName with a custom source is left to the core's warning",
        ),
    ],
)
def test_admission_warnings(deployment: ModelDeployment, fields: list[str]) -> None:
    assert _warned_fields(deployment) == fields


def test_admission_warnings_name_the_provider_and_keys() -> None:
    deployment = md(engine__type="llamacpp", image="llama:1", engine__args={"ggufUrl": "u", "threads": "8"})
    assert PROVIDER.admission_warnings(deployment) == [
        "spec.engine.args keys 'threads' are ignored by provider kaito with engine llamacpp: only ggufUrl "
        "is used; remove the other keys"
    ]
    env_warning = PROVIDER.admission_warnings(md(engine__type="vllm", env=[{"name": "A", "value": "b"}]))
    assert env_warning == [
        "spec.env is ignored by provider kaito with engine vllm: a KAITO preset takes no environment "
        "variables (the Hugging Face token secret is passed as presetOptions.modelAccessSecret); remove "
        "it, or use engine llamacpp or another provider"
    ]


def test_engine_for_warnings_falls_back_to_the_cores_choice() -> None:
    deployment = md(status_body={"engine": {"type": "vllm"}}, env=[{"name": "A", "value": "b"}])
    assert _warned_fields(deployment) == ["spec.env"]


# -- upstream health probe -------------------------------------------------------------------------

READY = health.ControllerDeployment("kaito-workspace", "kaito-workspace", 1)
ADDON = health.ControllerDeployment("kube-system", "ai-toolchain-operator", 2)
NOT_READY = health.ControllerDeployment("kaito-workspace", "kaito-workspace", 0)


@pytest.mark.parametrize(
    ("served", "controllers", "expected"),
    [
        pytest.param(
            False,
            [READY],
            health.UpstreamHealth(False, "CRDMissing", "KAITO Workspace CRD not found. Install KAITO."),
            id="CRD not served wins over everything",
        ),
        pytest.param(
            True,
            [],
            health.UpstreamHealth(False, "UpstreamControllerMissing", health.CONTROLLER_MISSING_MESSAGE),
            id="no controller Deployment",
        ),
        pytest.param(
            True,
            [NOT_READY],
            health.UpstreamHealth(
                False,
                "UpstreamControllerNotReady",
                "The KAITO workspace controller Deployment kaito-workspace/kaito-workspace exists but has no "
                "ready replicas.",
            ),
            id="controller without ready replicas",
        ),
        pytest.param(
            True,
            [NOT_READY, ADDON],
            health.UpstreamHealth(
                True,
                "UpstreamHealthy",
                "KAITO workspace controller kube-system/ai-toolchain-operator is ready",
            ),
            id="any ready controller is healthy and named",
        ),
        pytest.param(
            True,
            [READY, ADDON],
            health.UpstreamHealth(
                True, "UpstreamHealthy", "KAITO workspace controller kaito-workspace/kaito-workspace is ready"
            ),
            id="the first ready controller is named",
        ),
    ],
)
def test_health_decision(
    served: bool, controllers: list[health.ControllerDeployment], expected: health.UpstreamHealth
) -> None:
    assert health.assess(served, controllers) == expected


def test_health_probe_failures_and_messages() -> None:
    assert health.crd_check_failed("boom") == health.UpstreamHealth(
        False, "ProbeFailed", "check workspace crd: boom"
    )
    assert health.controller_list_failed("forbidden") == health.UpstreamHealth(
        False, "ProbeFailed", "list deployments: forbidden"
    )
    assert health.CONTROLLER_MISSING_MESSAGE == (
        "The KAITO workspace controller is not running. Install KAITO with `helm install kaito-workspace "
        "kaito/workspace`, or enable the AKS AI toolchain operator add-on (`az aks update "
        "--enable-ai-toolchain-operator ...`)."
    )
    assert PROVIDER.upstream_probe is not None
    assert PROVIDER.upstream_probe.controller_selector == (
        "app.kubernetes.io/name in (workspace,ai-toolchain-operator)"
    )


def test_health_inputs_from_a_deployment_list_and_conditions() -> None:
    body = {
        "items": [
            {"metadata": {"namespace": "a", "name": "x"}, "status": {}},
            {"metadata": {"namespace": "b", "name": "y"}, "status": {"readyReplicas": 1}},
        ]
    }
    controllers = health.controllers_from_list(body)
    assert controllers == (health.ControllerDeployment("a", "x", 0), health.ControllerDeployment("b", "y", 1))
    assert PROVIDER.upstream_probe is not None
    evaluate = PROVIDER.upstream_probe.evaluate
    assert evaluate(True, body) == ProbeResult(
        True, "UpstreamHealthy", "KAITO workspace controller b/y is ready"
    )
    assert evaluate(False, body) == ProbeResult(
        False, "CRDMissing", "KAITO Workspace CRD not found. Install KAITO."
    )
    assert evaluate("timeout", None) == ProbeResult(False, "ProbeFailed", "check workspace crd: timeout")
    assert evaluate(True, "forbidden") == ProbeResult(False, "ProbeFailed", "list deployments: forbidden")


# -- last-applied annotation and drift -------------------------------------------------------------


def test_last_applied_bytes_match_upstream() -> None:
    workspace = rendered(SCENARIOS["vllm-preset-hf-secret"][1])
    assert workspace["metadata"]["annotations"][drift.LAST_APPLIED] == (
        '{"annotations":{},"inference":{"preset":{"name":"Qwen/Qwen3-0.6B","presetOptions":'
        '{"modelAccessSecret":"hf-token"}}},"labels":{"airunway.ai/deployment":"qwen3-kaito",'
        '"airunway.ai/engine-type":"vllm","airunway.ai/managed-by":"airunway",'
        '"airunway.ai/model-deployment":"qwen3-kaito","airunway.ai/model-source":"huggingface"},'
        '"resource":{"count":1,"labelSelector":{"matchLabels":{"kubernetes.io/os":"linux",'
        '"nvidia.com/gpu.present":"true"}}}}'
    )


@pytest.mark.parametrize(
    ("workspace", "expected"),
    [
        pytest.param(
            {}, '{"annotations":{},"labels":{}}', id="empty maps are written, absent fields are not"
        ),
        pytest.param(
            {
                "metadata": {"annotations": {"b": "<a&b>", drift.LAST_APPLIED: "old"}},
                "resource": {"count": 2},
            },
            '{"annotations":{"b":"\\u003ca\\u0026b\\u003e"},"labels":{},"resource":{"count":2}}',
            id="Go's HTML escapes, and the annotation never records itself",
        ),
        pytest.param(
            {"inference": {"z": 1.0, "a": 1e-7, "m": 2.5e21, "k": 0.00001, "u": "é\u2028"}},
            '{"annotations":{},"inference":{"a":1e-7,"k":0.00001,"m":2.5e+21,"u":"é\\u2028","z":1},"labels":{}}',
            id="Go's float spelling, UTF-8 kept, U+2028 escaped, keys sorted at every depth",
        ),
        pytest.param(
            {"resource": ["not", "a", "map"], "inference": None},
            '{"annotations":{},"labels":{}}',
            id="non-map fields are not recorded",
        ),
    ],
)
def test_last_applied_encoding(workspace: dict[str, Any], expected: str) -> None:
    assert drift.last_applied(workspace) == expected


def _desired(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "engine__type": "vllm",
        "resources__gpu__count": 1,
        "podTemplate": {"metadata": {"labels": {"team": "ml"}, "annotations": {"note": "x"}}},
    }
    return rendered(md("qwen", **{**base, **fields}))


def _live(desired: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`desired` as the API server returns it, with KAITO's defaults and foreign metadata."""
    live = copy.deepcopy(desired)
    live["metadata"] |= {"resourceVersion": "42", "uid": "ws-uid", "generation": 1}
    live["metadata"]["annotations"]["kaito.sh/foreign"] = "keep"
    live["metadata"]["labels"]["example.com/foreign"] = "keep"
    live["inference"]["preset"]["accessMode"] = "public"
    live["status"] = {"state": "Ready"}
    for path, value in changes.items():
        node = live
        *parents, last = path.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return live


def _legacy(workspace: dict[str, Any]) -> dict[str, Any]:
    legacy = copy.deepcopy(workspace)
    del legacy["metadata"]["annotations"][drift.LAST_APPLIED]
    return legacy


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, as the API server applies it."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def contains(actual: Any, expected: Any) -> bool:
    """`expected` is `actual` with possibly fewer map keys."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items()
        )
    return bool(actual == expected)


def test_in_sync_workspace_needs_no_patch_and_kaito_defaults_survive() -> None:
    desired = _desired()
    assert drift.sync_patch(desired, _live(desired)) is None


def test_legacy_workspace_without_annotation_gets_a_backfill_only() -> None:
    desired = _desired()
    patch = drift.sync_patch(desired, _legacy(_live(desired)))
    assert patch == {"metadata": {"annotations": {drift.LAST_APPLIED: drift.last_applied(desired)}}}


def test_legacy_workspace_loses_unknown_label_selector_keys() -> None:
    desired = _desired()
    live = _legacy(_live(desired, resource__labelSelector__matchLabels__stale="x"))
    live["resource"]["labelSelector"]["matchExpressions"] = [{"key": "k", "operator": "Exists"}]
    patch = drift.sync_patch(desired, live)
    assert patch is not None
    assert patch["resource"] == {"labelSelector": {"matchExpressions": None, "matchLabels": {"stale": None}}}


def test_with_a_record_unknown_label_selector_keys_are_left_alone() -> None:
    desired = _desired()
    assert drift.sync_patch(desired, _live(desired, resource__labelSelector__matchLabels__zone="a")) is None


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            {"scaling__replicas": 1},
            {"scaling__replicas": 3},
            {"resource": {"count": 3}},
            id="a changed value is written",
        ),
        pytest.param(
            {"secrets__huggingFaceToken": "hf"},
            {},
            {"inference": {"preset": {"presetOptions": None}}},
            id="a removed desired key is deleted",
        ),
        pytest.param(
            {"nodeSelector": {"pool": "a"}},
            {},
            {"resource": {"labelSelector": {"matchLabels": {"pool": None}}}},
            id="a removed nodeSelector entry leaves the label selector",
        ),
        pytest.param(
            {},
            {"podTemplate": {"metadata": {"annotations": {"note": "x"}}}},
            {"metadata": {"labels": {"team": None}}},
            id="a removed podTemplate label is deleted, foreign labels stay",
        ),
        pytest.param(
            {"provider__overrides": {"inference": {"config": "params"}}},
            {},
            {"inference": {"config": None}},
            id="a field an override added is deleted once the override goes",
        ),
        pytest.param(
            {"engine__type": "vllm"},
            {"engine__type": "llamacpp", "image": "llama:1", "resources": {"cpu": "1"}},
            None,
            id="switching preset to template replaces the inference section",
        ),
    ],
)
def test_sync_patch_after_a_change(
    before: dict[str, Any], after: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    old, new = _desired(**before), _desired(**after)
    live = _live(old)
    patch = drift.sync_patch(new, live)
    assert patch is not None
    assert patch["metadata"]["annotations"] == {drift.LAST_APPLIED: drift.last_applied(new)}
    if expected is not None:
        assert contains(patch, expected), patch
    patched = apply_merge_patch(live, patch)
    assert drift.sync_patch(new, patched) is None, "one patch must converge"
    assert patched["metadata"]["annotations"]["kaito.sh/foreign"] == "keep"
    assert patched["metadata"]["labels"]["example.com/foreign"] == "keep"
    assert patched["status"] == {"state": "Ready"}


def test_preset_to_template_drops_the_preset_with_its_kaito_defaults() -> None:
    old = _desired()
    new = _desired(engine__type="llamacpp", image="llama:1")
    patched = apply_merge_patch(_live(old), drift.sync_patch(new, _live(old)))
    assert set(patched["inference"]) == {"template"}
    assert patched["inference"]["template"] == new["inference"]["template"]


def test_a_user_edit_to_an_owned_field_is_reverted_but_kaito_fields_stay() -> None:
    desired = _desired()
    live = _live(desired, resource__count=7, inference__preset__name="other", resource__preferredNodes=["n1"])
    patch = drift.sync_patch(desired, live)
    assert patch == {"resource": {"count": 1}, "inference": {"preset": {"name": "Qwen/Qwen3-0.6B"}}}


def test_unreadable_last_applied_counts_as_legacy() -> None:
    desired = _desired()
    live = _live(desired)
    live["metadata"]["annotations"][drift.LAST_APPLIED] = "{not json"
    patch = drift.sync_patch(desired, live)
    assert patch == {"metadata": {"annotations": {drift.LAST_APPLIED: drift.last_applied(desired)}}}


def test_numbers_compare_by_value_but_booleans_are_not_numbers() -> None:
    desired = _desired()
    assert drift.sync_patch(desired, _live(desired, resource__count=1.0)) is None
    patch = drift.sync_patch(desired, _live(desired, resource__count=True))
    assert patch == {"resource": {"count": 1}}


# -- status mapping --------------------------------------------------------------------------------


def _condition(kind: str, value: str, message: str = "") -> dict[str, Any]:
    return {"type": kind, "status": value, "reason": "R", "message": message}


def _workspace(status_body: dict[str, Any] | None, count: Any = 2) -> dict[str, Any]:
    workspace: dict[str, Any] = {
        "kind": "Workspace",
        "metadata": {"name": "qwen"},
        "resource": {"count": count},
    }
    if status_body is not None:
        workspace["status"] = status_body
    return workspace


@pytest.mark.parametrize(
    ("status_body", "phase", "message", "ready"),
    [
        pytest.param({"state": "Ready"}, Phase.RUNNING, "", 2, id="state Ready"),
        pytest.param({"state": "Succeeded"}, Phase.RUNNING, "", 2, id="state Succeeded"),
        pytest.param({"state": "NotReady"}, Phase.DEPLOYING, "", 0, id="state NotReady"),
        pytest.param({"state": "Running"}, Phase.DEPLOYING, "fine-tuning in progress", 0, id="state Running"),
        pytest.param(
            {
                "state": "Failed",
                "conditions": [
                    _condition("ResourceReady", "False", "no nodes"),
                    _condition("WorkspaceSucceeded", "False", "quota exceeded"),
                ],
            },
            Phase.FAILED,
            "quota exceeded",
            0,
            id="state Failed: WorkspaceSucceeded=False's message first (D14)",
        ),
        pytest.param(
            {
                "state": "Failed",
                "conditions": [
                    _condition("WorkspaceSucceeded", "False"),
                    _condition("ResourceReady", "False", "no nodes"),
                ],
            },
            Phase.FAILED,
            "no nodes",
            0,
            id="state Failed: else the first False condition with a message (D14)",
        ),
        pytest.param(
            {"state": "Failed"}, Phase.FAILED, "deployment failed", 0, id="state Failed: fallback (D14)"
        ),
        pytest.param({"state": "Pending"}, Phase.PENDING, "", 0, id="state Pending"),
        pytest.param({"state": "Exploded"}, Phase.PENDING, "unknown state: Exploded", 0, id="unknown state"),
        pytest.param(
            {"conditions": [_condition("WorkspaceSucceeded", "True")]},
            Phase.RUNNING,
            "",
            2,
            id="no state: WorkspaceSucceeded=True",
        ),
        pytest.param(
            {"conditions": [_condition("WorkspaceSucceeded", "False", "image pull failed")]},
            Phase.FAILED,
            "image pull failed",
            0,
            id="no state: WorkspaceSucceeded=False",
        ),
        pytest.param(
            {"conditions": [_condition("ResourceReady", "True")]},
            Phase.DEPLOYING,
            "",
            0,
            id="no state: ResourceReady=True, InferenceReady missing",
        ),
        pytest.param(
            {"conditions": [_condition("ResourceReady", "True"), _condition("InferenceReady", "False")]},
            Phase.DEPLOYING,
            "",
            0,
            id="no state: ResourceReady=True, InferenceReady not True",
        ),
        pytest.param(
            {"conditions": [_condition("ResourceReady", "True"), _condition("InferenceReady", "True")]},
            Phase.PENDING,
            "",
            0,
            id="no state: both ready but no verdict yet",
        ),
        pytest.param(
            {"conditions": [_condition("ResourceReady", "False")]},
            Phase.PENDING,
            "",
            0,
            id="no state: other conditions",
        ),
        pytest.param(
            {"state": "NotReady", "conditions": [_condition("WorkspaceSucceeded", "True")]},
            Phase.DEPLOYING,
            "",
            2,
            id="state decides the phase, WorkspaceSucceeded=True still counts replicas",
        ),
    ],
)
def test_status_mapping(status_body: dict[str, Any], phase: Phase, message: str, ready: int) -> None:
    result = PROVIDER.map_status(md(), Observed.of(_workspace(status_body)))
    assert (result.phase, result.message) == (phase, message)
    assert (result.desired, result.ready, result.available) == (2, ready, ready)
    assert (result.endpoint_service, result.endpoint_port) == ("qwen", 80)
    assert result.conditions == ()


@pytest.mark.parametrize(
    "workspace",
    [
        pytest.param(None, id="no Workspace yet"),
        pytest.param(_workspace(None), id="no status"),
        pytest.param(_workspace({"state": "", "conditions": []}), id="empty state and conditions"),
        pytest.param(_workspace({"state": 7, "conditions": "junk"}), id="malformed status"),
    ],
)
def test_status_without_news_is_pending_with_replicas_and_endpoint_cleared(workspace: Any) -> None:
    assert PROVIDER.map_status(md(), Observed.of(workspace)) == ProviderStatus(Phase.PENDING)


@pytest.mark.parametrize(
    ("count", "desired"),
    [
        pytest.param(None, 0, id="missing count is 0"),
        pytest.param("3", 0, id="non-integer count is 0"),
        pytest.param(True, 0, id="a boolean is not a count"),
        pytest.param(5, 5, id="count is desired"),
    ],
)
def test_status_desired_replicas(count: Any, desired: int) -> None:
    workspace = _workspace({"state": "Ready"}, count)
    if count is None:
        del workspace["resource"]["count"]
    result = PROVIDER.map_status(md(), Observed.of(workspace))
    assert (result.desired, result.ready) == (desired, desired)


# -- registration ----------------------------------------------------------------------------------


def test_provider_identity() -> None:
    assert (PROVIDER.name, PROVIDER.display_name, PROVIDER.field_manager) == (
        "kaito",
        "KAITO",
        "kaito-provider",
    )
    assert PROVIDER.finalizer == "airunway.ai/kaito-provider"
    assert PROVIDER.resource_kind == "Workspace"
    assert [(t.api_version, t.plural, t.group) for t in PROVIDER.targets] == [
        ("kaito.sh/v1beta1", "workspaces", "kaito.sh")
    ]
    assert PROVIDER.sync_patch is drift.sync_patch


def test_ipc_body_parses_and_matches_the_spec_table() -> None:
    body = PROVIDER.config("v0.1.0")
    ipc = InferenceProviderConfig.parse(body)
    assert ipc.metadata.name == "kaito"
    assert body["spec"] == {
        "capabilities": {
            "engines": [
                {
                    "name": "vllm",
                    "servingModes": ["aggregated"],
                    "apiFormats": ["openai-chat", "openai-responses", "anthropic-messages"],
                    "gpuSupport": True,
                },
                {
                    "name": "llamacpp",
                    "servingModes": ["aggregated"],
                    "apiFormats": ["openai-chat"],
                    "gpuSupport": True,
                    "cpuSupport": True,
                    "gateway": {"ignoresServedName": True},
                },
            ]
        },
        "selectionRules": [
            {"condition": "!has(spec.resources.gpu) || spec.resources.gpu.count == 0", "priority": 100},
            {"condition": "spec.engine.type == 'llamacpp'", "priority": 100},
        ],
    }


def test_ipc_annotations_are_upstreams_bytes() -> None:
    annotations = PROVIDER.config("dev")["metadata"]["annotations"]
    docs = "https://github.com/ai-runway/airunway/tree/main/docs/providers/kaito.md"
    assert {k: v for k, v in annotations.items() if not v.startswith("{")} == {
        "airunway.ai/display-name": "KAITO",
        "airunway.ai/description": "Kubernetes AI Toolchain Operator for simplified model deployment",
        "airunway.ai/default-namespace": "kaito-workspace",
        "airunway.ai/documentation-url": docs,
        "airunway.ai/documentation": docs,
    }
    assert annotations["airunway.ai/health"] == (
        '{"crds":[{"displayName":"KAITO workspace CRD","name":"workspaces.kaito.sh"}],"operatorPods":'
        '[{"namespace":"kaito-workspace","selectors":["app.kubernetes.io/name=workspace,'
        'app.kubernetes.io/instance=kaito-workspace","app.kubernetes.io/name=workspace"]},'
        '{"selectors":["app.kubernetes.io/name=workspace","app=ai-toolchain-operator"]}]}'
    )
    assert annotations["airunway.ai/capabilities"] == common.go_json(
        PROVIDER.config("dev")["spec"]["capabilities"]
    )
    assert annotations["airunway.ai/capabilities"].startswith('{"engines":[{"name":"vllm","servingModes":')
    installation = annotations["airunway.ai/installation"]
    assert installation.startswith(
        '{"description":"Kubernetes AI Toolchain Operator for simplified model deployment",'
        '"defaultNamespace":"kaito-workspace","helmRepos":[{"name":"kaito","url":'
        '"https://kaito-project.github.io/kaito/charts/kaito"}],"helmCharts":[{"name":"kaito-workspace",'
        '"chart":"kaito/workspace","version":"0.10.0","namespace":"kaito-workspace","createNamespace":true}],'
    )
    steps = json.loads(installation)["steps"]
    assert [s["command"] for s in steps][:2] == [
        "helm repo add kaito https://kaito-project.github.io/kaito/charts/kaito",
        "helm repo update kaito",
    ]
    for flag in (
        "featureGates.disableNodeAutoProvisioning=true",
        "nvidiaDevicePlugin.enabled=false",
        "localCSIDriver.useLocalCSIDriver=false",
        "gpu-feature-discovery.gfd.enabled=false",
        "gpu-feature-discovery.nfd.master.deploy=false",
        "gpu-feature-discovery.nfd.worker.deploy=false",
    ):
        assert f"--set {flag}" in steps[2]["command"]
    assert steps[2]["command"].endswith("--wait")
    assert capabilities.config("dev") == capabilities.config("v9")


def test_kaito_is_registered() -> None:
    import providers

    assert PROVIDER in providers.REGISTRY
    assert providers.load_providers()[: len(providers.REGISTRY)] == providers.REGISTRY


# -- shared JSON helpers (added for KAITO) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        pytest.param(2.0, "2", id="integral float"),
        pytest.param(0.5, "0.5", id="fraction"),
        pytest.param(1e20, "100000000000000000000", id="below 1e21 without exponent"),
        pytest.param(1e21, "1e+21", id="1e21 with exponent"),
        pytest.param(0.000001, "0.000001", id="1e-6 without exponent"),
        pytest.param(1.5e-7, "1.5e-7", id="below 1e-6 with a short exponent"),
        pytest.param(-0.0, "-0", id="negative zero"),
        pytest.param(123456789.125, "123456789.125", id="shortest round-trip digits"),
    ],
)
def test_go_json_floats(number: float, text: str) -> None:
    assert common.go_json(number) == text


def test_merge_patch_from_and_json_equal() -> None:
    base = {"a": 1, "b": {"c": [1, 2], "d": True}, "gone": "x"}
    target = {"a": 1.0, "b": {"c": [1, 2], "d": 1}, "new": {"n": None}}
    assert common.merge_patch_from(base, target) == {"gone": None, "b": {"d": 1}, "new": {"n": None}}
    assert common.merge_patch_from(base, base) == {}
    assert common.json_equal([1, {"x": "y"}], [1.0, {"x": "y"}])
    assert not common.json_equal(False, 0)
