"""KubeRay (SPEC-providers §4): golden renders, render rules, compatibility, admission warnings,
status mapping, drift and registration.

Goldens live in tests/providers/golden/kuberay/. After a deliberate change, regenerate them with
`AIRUNWAY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/providers/test_kuberay.py` and review the diff by eye.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from providers import common
from providers.base import Observed, ProviderStatus, RenderContext
from providers.kuberay import PROVIDER, capabilities, compatibility, drift, render, status
from providers.testing import Golden
from tests.providers import builders

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Golden(Path(__file__).parent / "golden" / "kuberay")
UID = "3f0e6a1c-5b7d-4e2a-8c9f-1d2e3f4a5b6c"
VLLM = RenderContext(engine=EngineType.VLLM)
DISAGGREGATED: dict[str, Any] = {
    "serving__mode": "disaggregated",
    "scaling__prefill": {"replicas": 2, "gpu": {"count": 1}, "memory": "48Gi"},
    "scaling__decode": {"replicas": 3, "gpu": {"count": 2, "type": "amd.com/gpu"}},
}


def deployment(
    name: str = "qwen",
    annotations: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
    **fields: Any,
) -> ModelDeployment:
    return builders.typed(UID, name, annotations, status, **fields)


def kuberay(name: str = "qwen", **fields: Any) -> ModelDeployment:
    """An explicit KubeRay deployment (engine vllm, provider kuberay)."""
    return deployment(name, provider__name="kuberay", engine__type="vllm", **fields)


def sample(file: str) -> ModelDeployment:
    return builders.sample(file, UID)


def ray_service(md: ModelDeployment) -> dict[str, Any]:
    [only] = PROVIDER.render(md, VLLM)
    return only


def head(service: dict[str, Any]) -> dict[str, Any]:
    [container] = service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def workers(service: dict[str, Any]) -> list[dict[str, Any]]:
    return service["spec"]["rayClusterConfig"]["workerGroupSpecs"]  # type: ignore[no-any-return]


def worker(group: dict[str, Any]) -> dict[str, Any]:
    [container] = group["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def env_value(container: dict[str, Any], name: str) -> Any:
    [value] = [item.get("value") for item in container["env"] if item["name"] == name]
    return value


# -- golden renders --------------------------------------------------------------------------------

SCENARIOS = [
    pytest.param("aggregated-default", kuberay(), id="aggregated, one GPU by admission default"),
    pytest.param(
        "aggregated-full",
        kuberay(
            model__servedName="qwen-chat",
            engine__contextLength=8192,
            engine__trustRemoteCode=True,
            engine__args={"gpu-memory-utilization": "0.9", "enable-chunked-prefill": ""},
            engine__extraArgs=["--disable-log-requests", "--seed=7"],
            engine__image="registry.example.com/ray/ray-llm:custom",
            scaling__replicas=2,
            resources__gpu={"count": 4, "type": "nvidia.com/mig-3g.40gb"},
            resources__memory="96Gi",
            env=[
                {"name": "VLLM_LOGGING_LEVEL", "value": "INFO"},
                {"name": "HF_TOKEN", "value": "user-token-dropped"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            ],
            secrets__huggingFaceToken="hf-token",
            podTemplate__metadata__labels={"team": "ml", "airunway.ai/deployment": "hijack"},
            podTemplate__metadata__annotations={"prometheus.io/scrape": "true"},
        ),
        id="aggregated: flags, env and token on head and workers, GPU type key, podTemplate metadata",
    ),
    pytest.param(
        "disaggregated",
        kuberay(**DISAGGREGATED, resources__memory="24Gi", secrets__huggingFaceToken="hf-token"),
        id="disaggregated: prefill then decode worker groups",
    ),
    pytest.param(
        "overrides",
        kuberay(
            resources__gpu__count=2,
            provider__overrides={
                "spec": {
                    "serveConfigV2": "applications: []\n",
                    "serviceUnhealthySecondThreshold": 900,
                    "rayClusterConfig": {
                        "rayVersion": "2.55.0",
                        "headGroupSpec": {"rayStartParams": {"dashboard-host": None, "num-cpus": "0"}},
                    },
                }
            },
        ),
        id="overrides deep-merge last; null deletes a key",
    ),
    pytest.param("sample-kuberay-vllm", sample("kuberay-vllm.yaml"), id="config/samples/kuberay-vllm.yaml"),
]


@pytest.mark.parametrize(("name", "md"), SCENARIOS)
def test_render_matches_reviewed_golden(name: str, md: ModelDeployment) -> None:
    assert PROVIDER.check_compatibility(md, EngineType.VLLM) is None
    GOLDEN.check(name, PROVIDER.render(md, VLLM))


def test_golden_folder_holds_exactly_the_scenarios() -> None:
    assert GOLDEN.names() == {p.values[0] for p in SCENARIOS}


# -- render rules ------------------------------------------------------------------------------------


def test_serve_config_is_a_yaml_string_with_one_application() -> None:
    config = ray_service(kuberay(scaling__replicas=3))["spec"]["serveConfigV2"]
    assert isinstance(config, str)
    assert yaml.safe_load(config) == {
        "applications": [
            {
                "name": "llm",
                "route_prefix": "/",
                "import_path": "vllm_serve:deployment",
                "deployments": [{"name": "VLLMDeployment", "num_replicas": 3}],
            }
        ]
    }


@pytest.mark.parametrize("replicas", [0, 1, 4])
def test_replicas_feed_num_replicas_and_the_worker_group(replicas: int) -> None:
    service = ray_service(kuberay(scaling__replicas=replicas))
    expected = replicas or 1
    assert f"num_replicas: {expected}\n" in service["spec"]["serveConfigV2"]
    [group] = workers(service)
    assert (group["replicas"], group["minReplicas"], group["maxReplicas"]) == (expected,) * 3


def test_engine_args_follow_upstream_order() -> None:
    md = kuberay(
        model__servedName="q",
        engine__contextLength=4096,
        engine__trustRemoteCode=True,
        engine__enforceEager=True,
        engine__enablePrefixCaching=False,
        engine__args={"b": "2", "a": ""},
        engine__extraArgs=["--x", "1"],
    )
    assert render.engine_args(md) == (
        "--model Qwen/Qwen3-0.6B --max-model-len 4096 --served-model-name q --trust-remote-code "
        "--a --b 2 --x 1"
    )


def test_head_and_workers_carry_env_and_token_and_workers_none_without_them() -> None:
    service = ray_service(kuberay(env=[{"name": "A", "value": "1"}], secrets__huggingFaceToken="s"))
    token = {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "HF_TOKEN"}}}
    assert head(service)["env"][2:] == [{"name": "A", "value": "1"}, token]
    assert worker(workers(service)[0])["env"] == [{"name": "A", "value": "1"}, token]
    plain = ray_service(kuberay())
    assert [item["name"] for item in head(plain)["env"]] == ["MODEL_ID", "VLLM_ENGINE_ARGS"]
    assert "env" not in worker(workers(plain)[0])


@pytest.mark.parametrize(
    ("md", "head_limits", "worker_limits"),
    [
        pytest.param(
            kuberay(),
            {"cpu": "4", "memory": "16Gi"},
            {"memory": "32Gi", "nvidia.com/gpu": "1"},
            id="defaults",
        ),
        pytest.param(
            kuberay(
                resources__gpu={"count": 2, "type": "amd.com/gpu"},
                resources__memory="8Gi",
                resources__cpu="2",
            ),
            {"cpu": "4", "memory": "8Gi"},
            {"memory": "8Gi", "amd.com/gpu": "2"},
            id="memory on both, the GPU type is the key, cpu ignored",
        ),
        pytest.param(
            kuberay(resources__memory="8Gi"),
            {"cpu": "4", "memory": "8Gi"},
            {"memory": "8Gi"},
            id="resources without gpu: no GPU key",
        ),
    ],
)
def test_resource_limits(
    md: ModelDeployment, head_limits: dict[str, str], worker_limits: dict[str, str]
) -> None:
    service = ray_service(md)
    assert head(service)["resources"] == {"limits": head_limits}
    assert worker(workers(service)[0])["resources"] == {"limits": worker_limits}


def test_disaggregated_groups_come_from_the_components() -> None:
    groups = workers(ray_service(kuberay(**DISAGGREGATED)))
    assert [(g["groupName"], g["replicas"], g["minReplicas"], g["maxReplicas"]) for g in groups] == [
        ("prefill-workers", 2, 2, 2),
        ("decode-workers", 3, 3, 3),
    ]
    assert [worker(g)["resources"]["limits"] for g in groups] == [
        {"nvidia.com/gpu": "1", "memory": "48Gi"},
        {"amd.com/gpu": "2", "memory": "32Gi"},
    ]


def test_ray_start_params_are_always_present_for_chart_1_3_0() -> None:
    for md in (kuberay(), kuberay(**DISAGGREGATED)):
        cluster = ray_service(md)["spec"]["rayClusterConfig"]
        assert cluster["headGroupSpec"]["rayStartParams"] == {"dashboard-host": "0.0.0.0"}
        assert all(group["rayStartParams"] == {} for group in cluster["workerGroupSpecs"])


# RayService fields of KubeRay 1.3.0 (the chart the install pins) that the render may use outside
# the pod templates; later versions added e.g. rayClusterDeletionDelaySeconds, authOptions and
# group `labels`/`resources`, which a 1.3.0 API server rejects under strict validation (D7).
FIELDS_IN_1_3_0 = {
    "spec.serveConfigV2",
    "spec.rayClusterConfig",
    "spec.rayClusterConfig.headGroupSpec",
    "spec.rayClusterConfig.headGroupSpec.rayStartParams",
    "spec.rayClusterConfig.headGroupSpec.template",
    "spec.rayClusterConfig.workerGroupSpecs",
    *(
        f"spec.rayClusterConfig.workerGroupSpecs[].{field}"
        for field in ("groupName", "replicas", "minReplicas", "maxReplicas", "rayStartParams", "template")
    ),
}


def field_paths(value: Any, prefix: str) -> set[str]:
    """Dotted paths of every map key under `value`, not descending into pod templates or the
    free-form rayStartParams."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}"
            paths.add(path)
            if key not in ("template", "rayStartParams"):
                paths |= field_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= field_paths(item, f"{prefix}[]")
    return paths


@pytest.mark.parametrize("md", [kuberay(), kuberay(**DISAGGREGATED)], ids=["aggregated", "disaggregated"])
def test_render_uses_only_fields_kuberay_1_3_0_knows(md: ModelDeployment) -> None:
    service = ray_service(md)
    assert field_paths(service["spec"], "spec") <= FIELDS_IN_1_3_0
    cluster = service["spec"]["rayClusterConfig"]
    assert all(
        isinstance(value, str)
        for group in [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
        for value in group["rayStartParams"].values()
    )  # 1.3.0 declares rayStartParams as a map of strings


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        pytest.param(kuberay(engine__image="e/img:1", image=None), "e/img:1", id="engine image"),
        pytest.param(kuberay(image="legacy/img:2"), "legacy/img:2", id="legacy spec.image"),
        pytest.param(kuberay(), "rayproject/ray-llm:2.55.0-py311-cu128", id="default"),
    ],
)
def test_image_on_head_and_workers(md: ModelDeployment, expected: str) -> None:
    service = ray_service(md)
    assert head(service)["image"] == expected
    assert {worker(g)["image"] for g in workers(service)} == {expected}


def test_pod_templates_carry_the_model_deployment_label_and_managed_labels_win() -> None:
    service = ray_service(kuberay(podTemplate__metadata__labels={"airunway.ai/managed-by": "me", "x": "y"}))
    assert service["metadata"]["labels"]["airunway.ai/managed-by"] == "airunway"
    assert service["metadata"]["labels"]["x"] == "y"
    templates = [service["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]]
    templates += [g["template"] for g in workers(service)]
    assert all(t["metadata"]["labels"] == {"airunway.ai/model-deployment": "qwen"} for t in templates)
    assert PROVIDER.pod_label == "airunway.ai/model-deployment"


def test_no_annotations_key_without_pod_template_annotations() -> None:
    assert "annotations" not in ray_service(kuberay())["metadata"]


@pytest.mark.parametrize(
    ("md", "message"),
    [
        pytest.param(
            kuberay(engine__args={"bad key": "1"}),
            'invalid engine arg key "bad key": must contain only alphanumeric characters, hyphens, '
            "and underscores",
            id="invalid arg key",
        ),
        pytest.param(
            kuberay(provider__overrides={"metadata": {"name": "x"}}),
            "spec.provider.overrides.metadata cannot be overridden",
            id="blocked override key",
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
        pytest.param(kuberay(), EngineType.VLLM, None, id="explicit vllm gets the default GPU"),
        pytest.param(kuberay(resources__gpu__count=2), EngineType.VLLM, None, id="two GPUs"),
        pytest.param(kuberay(**DISAGGREGATED), EngineType.VLLM, None, id="disaggregated with prefill GPUs"),
        pytest.param(
            deployment(engine__type="sglang", resources__gpu__count=1),
            EngineType.SGLANG,
            "KubeRay only supports vllm engine, got sglang",
            id="sglang",
        ),
        pytest.param(
            deployment(engine__type="llamacpp", resources__gpu__count=1),
            EngineType.LLAMACPP,
            "KubeRay only supports vllm engine, got llamacpp",
            id="llamacpp",
        ),
        pytest.param(
            kuberay(resources__gpu__count=0),
            EngineType.VLLM,
            "KubeRay requires GPU (set resources.gpu.count > 0)",
            id="explicit zero GPUs",
        ),
        pytest.param(
            deployment(provider__name="kuberay"),
            EngineType.VLLM,
            "KubeRay requires GPU (set resources.gpu.count > 0)",
            id="auto-selected engine gets no GPU default",
        ),
        pytest.param(
            kuberay(
                serving__mode="disaggregated",
                scaling__prefill={"replicas": 1, "gpu": {"count": 0}},
                scaling__decode={"replicas": 1, "gpu": {"count": 1}},
            ),
            EngineType.VLLM,
            "KubeRay requires GPU (set resources.gpu.count > 0)",
            id="disaggregated without prefill GPUs",
        ),
    ],
)
def test_compatibility(md: ModelDeployment, engine: EngineType, expected: str | None) -> None:
    assert compatibility.check(md, engine) == expected


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        pytest.param(kuberay(resources__gpu__count=2), [], id="defaults warn about nothing"),
        pytest.param(
            kuberay(model__storage__volumes=[{"name": "cache", "purpose": "modelCache", "size": "10Gi"}]),
            ["spec.model.storage is ignored by provider kuberay"],
            id="storage",
        ),
        pytest.param(
            kuberay(engine__enablePrefixCaching=False, engine__enforceEager=True),
            [
                "spec.engine.enablePrefixCaching false is ignored by provider kuberay",
                "spec.engine.enforceEager true is ignored by provider kuberay",
            ],
            id="prefix caching and eager mode off their defaults",
        ),
        pytest.param(
            kuberay(engine__enablePrefixCaching=True, engine__enforceEager=False),
            [],
            id="the CRD defaults written out",
        ),
        pytest.param(
            kuberay(resources__gpu__count=2, resources__cpu="8"),
            ["spec.resources.cpu is ignored by provider kuberay"],
            id="cpu",
        ),
        pytest.param(
            kuberay(
                nodeSelector={"gpu": "a100"},
                tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            ),
            [
                "spec.nodeSelector is ignored by provider kuberay",
                "spec.tolerations is ignored by provider kuberay",
            ],
            id="placement",
        ),
    ],
)
def test_admission_warnings(md: ModelDeployment, expected: list[str]) -> None:
    warnings = PROVIDER.admission_warnings(md)
    assert len(warnings) == len(expected), warnings
    for warning, start in zip(warnings, expected, strict=True):
        assert warning.startswith(start)


# -- status mapping ------------------------------------------------------------------------------------

NOW = "2026-12-04T12:00:00Z"


def recorded(
    conditions: list[tuple[str, str, str]] | None = None,
    apps: dict[str, tuple[str, str]] | None = None,
    replicas: tuple[int, ...] = (2,),
) -> dict[str, Any]:
    """A RayService as KubeRay reports it (trimmed): conditions (type, status, message) and
    application statuses (name → (status, message))."""
    body: dict[str, Any] = {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": {"name": "qwen", "namespace": "default"},
        "spec": {
            "rayClusterConfig": {
                "workerGroupSpecs": [{"groupName": f"g{i}", "replicas": r} for i, r in enumerate(replicas)]
            }
        },
    }
    state: dict[str, Any] = {}
    if conditions is not None:
        state["conditions"] = [
            {"type": t, "status": s, "reason": "Test", "message": m, "lastTransitionTime": NOW}
            for t, s, m in conditions
        ]
    if apps is not None:
        state["activeServiceStatus"] = {
            "applicationStatuses": {name: {"status": s, "message": m} for name, (s, m) in apps.items()}
        }
    if state:
        body["status"] = state
    return body


def expected(phase: Phase, message: str = "", desired: int = 2, ready: int = 0) -> ProviderStatus:
    return ProviderStatus(phase, message, desired, ready, ready, "qwen-serve-svc", 8000)


@pytest.mark.parametrize(
    ("service", "want"),
    [
        pytest.param(None, ProviderStatus(Phase.PENDING), id="not created yet"),
        pytest.param(recorded(), expected(Phase.PENDING), id="no status yet"),
        pytest.param(
            recorded([("RayServiceReady", "True", "")]), expected(Phase.RUNNING), id="ready condition alone"
        ),
        pytest.param(
            recorded([("RayServiceReady", "False", "head pod pending")]),
            expected(Phase.DEPLOYING, "head pod pending"),
            id="not ready condition carries its message",
        ),
        pytest.param(
            recorded([("RayServiceReady", "Unknown", "x"), ("Other", "False", "y")]),
            expected(Phase.PENDING),
            id="unknown condition changes nothing",
        ),
        pytest.param(
            recorded([("RayServiceReady", "True", "")], {"llm": ("RUNNING", "")}, replicas=(2, 3)),
            expected(Phase.RUNNING, desired=5, ready=5),
            id="all applications running: ready replicas are the desired sum",
        ),
        pytest.param(
            recorded([("RayServiceReady", "True", "")], {"llm": ("DEPLOYING", "")}),
            expected(Phase.DEPLOYING),
            id="a deploying application overrides the ready condition",
        ),
        pytest.param(
            recorded(
                [("RayServiceReady", "False", "waiting")],
                {
                    "a": ("DEPLOY_FAILED", "first"),
                    "b": ("RUNNING", ""),
                    "c": ("DEPLOY_FAILED", "ImportError"),
                },
            ),
            expected(Phase.FAILED, "ImportError"),
            id="a failed application fails with the last failed message",
        ),
        pytest.param(
            recorded([("RayServiceReady", "False", "waiting")], {"llm": ("DEPLOY_FAILED", "")}),
            expected(Phase.FAILED, "waiting"),
            id="an empty application message keeps the condition's",
        ),
        pytest.param(
            recorded(None, {}),
            expected(Phase.PENDING),
            id="empty application statuses change nothing",
        ),
    ],
)
def test_status_mapping(service: dict[str, Any] | None, want: ProviderStatus) -> None:
    assert PROVIDER.map_status(kuberay(), Observed.of(service)) == want


def test_status_of_its_own_render_counts_worker_replicas() -> None:
    mapped = PROVIDER.map_status(
        kuberay(**DISAGGREGATED), Observed.of(*PROVIDER.render(kuberay(**DISAGGREGATED), VLLM))
    )
    assert (mapped.phase, mapped.desired, mapped.ready) == (Phase.PENDING, 5, 0)


# -- drift (D12) ----------------------------------------------------------------------------------------


def live_copy(desired: dict[str, Any]) -> dict[str, Any]:
    """`desired` as the API server returns it: metadata and defaults added, status written."""
    live = copy.deepcopy(desired)
    live["metadata"] |= {"resourceVersion": "42", "uid": "x", "finalizers": ["ray.io/keep"]}
    live["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "t"}
    live["metadata"]["labels"]["foreign"] = "kept"
    for group in live["spec"]["rayClusterConfig"]["workerGroupSpecs"]:
        group["numOfHosts"] = 1
        group["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    live["status"] = {"conditions": []}
    return live


def test_server_defaults_and_foreign_metadata_are_not_drift() -> None:
    desired = ray_service(kuberay(resources__gpu__count=2))
    assert PROVIDER.sync_replace is not None
    assert PROVIDER.sync_replace(desired, live_copy(desired)) is None


def test_empty_values_are_stripped_before_comparing() -> None:
    desired = ray_service(kuberay())
    live = live_copy(desired)
    live["spec"]["rayClusterConfig"]["headGroupSpec"].pop("rayStartParams")
    desired["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParams"] = {}
    desired["metadata"]["annotations"] = {"empty": ""}
    assert drift.sync_replace(desired, live) is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s["spec"].update(serveConfigV2="changed"), id="serve config"),
        pytest.param(lambda s: workers(s)[0].update(replicas=9), id="worker replicas"),
        pytest.param(lambda s: workers(s).append(copy.deepcopy(workers(s)[0])), id="an extra worker group"),
        pytest.param(
            lambda s: s["metadata"]["labels"].update({"airunway.ai/deployment": "other"}), id="a label"
        ),
        pytest.param(lambda s: head(s)["env"].pop(), id="an env entry"),
    ],
)
def test_a_changed_desired_leaf_is_a_full_replace(change: Any) -> None:
    desired = ray_service(kuberay(podTemplate__metadata__annotations={"mine": "1"}))
    live = live_copy(desired)
    change(live)
    body = drift.sync_replace(desired, live)
    assert body is not None
    assert body["spec"] == desired["spec"]
    assert body["metadata"]["resourceVersion"] == "42"
    assert body["metadata"]["finalizers"] == ["ray.io/keep"]
    assert body["metadata"]["labels"] == desired["metadata"]["labels"]
    assert body["metadata"]["annotations"] == {"argocd.argoproj.io/tracking-id": "t", "mine": "1"}
    assert "status" not in body


def test_replace_leaves_the_desired_object_alone() -> None:
    desired = ray_service(kuberay())
    before = copy.deepcopy(desired)
    live = live_copy(desired)
    live["spec"]["serveConfigV2"] = "x"
    drift.sync_replace(desired, live)
    assert desired == before


# -- registration and identity -------------------------------------------------------------------------

INSTALLATION = {
    "description": "Ray Serve via KubeRay for distributed Ray-based model serving with vLLM",
    "defaultNamespace": "ray-system",
    "helmRepos": [{"name": "kuberay", "url": "https://ray-project.github.io/kuberay-helm/"}],
    "helmCharts": [
        {
            "name": "kuberay-operator",
            "chart": "kuberay/kuberay-operator",
            "version": "1.3.0",
            "namespace": "ray-system",
            "createNamespace": True,
        }
    ],
    "steps": [
        {
            "title": "Add KubeRay Helm Repository",
            "command": "helm repo add kuberay https://ray-project.github.io/kuberay-helm/",
            "description": "Add the KubeRay Helm repository.",
        },
        {
            "title": "Update Helm Repositories",
            "command": "helm repo update",
            "description": "Update local Helm repository cache.",
        },
        {
            "title": "Install KubeRay Operator",
            "command": "helm upgrade --install kuberay-operator kuberay/kuberay-operator --version 1.3.0 "
            "-n ray-system --create-namespace --wait",
            "description": "Install the KubeRay operator v1.3.0.",
        },
    ],
}


def test_config_is_upstreams_registration() -> None:
    body = PROVIDER.config("v0.3.0")
    annotations = body["metadata"]["annotations"]
    assert body["metadata"]["name"] == "kuberay"
    assert body["spec"] == {
        "capabilities": {
            "engines": [
                {
                    "name": "vllm",
                    "servingModes": ["aggregated", "disaggregated"],
                    "apiFormats": ["openai-chat"],
                    "gpuSupport": True,
                }
            ]
        },
        "selectionRules": [
            {
                "condition": "has(spec.resources.gpu) && spec.resources.gpu.count > 1 && "
                "spec.engine.type == 'vllm'",
                "priority": 80,
            }
        ],
    }
    assert list(annotations) == [
        "airunway.ai/display-name",
        "airunway.ai/description",
        "airunway.ai/default-namespace",
        "airunway.ai/documentation-url",
        "airunway.ai/capabilities",
        "airunway.ai/health",
        "airunway.ai/installation",
        "airunway.ai/documentation",
    ]
    docs = "https://github.com/ai-runway/airunway/tree/main/docs/providers/kuberay.md"
    assert annotations["airunway.ai/display-name"] == "KubeRay"
    assert annotations["airunway.ai/default-namespace"] == "ray-system"
    assert annotations["airunway.ai/documentation-url"] == annotations["airunway.ai/documentation"] == docs
    assert annotations["airunway.ai/description"] == INSTALLATION["description"]
    assert json.loads(annotations["airunway.ai/capabilities"]) == body["spec"]["capabilities"]
    assert json.loads(annotations["airunway.ai/installation"]) == INSTALLATION
    assert list(json.loads(annotations["airunway.ai/installation"])) == list(INSTALLATION)  # Go field order
    assert annotations["airunway.ai/health"] == (
        '{"crds":[{"displayName":"KubeRay RayService CRD","name":"rayservices.ray.io"}],"operatorPods":'
        '[{"namespace":"ray-system","selectors":["app.kubernetes.io/name=kuberay-operator,'
        'app.kubernetes.io/instance=kuberay-operator","app.kubernetes.io/name=kuberay-operator"]},'
        '{"selectors":["app.kubernetes.io/name=kuberay-operator"]}]}'
    )
    assert capabilities.config("other") == body


def test_identity() -> None:
    assert (PROVIDER.name, PROVIDER.display_name, PROVIDER.field_manager) == (
        "kuberay",
        "KubeRay",
        "kuberay-provider",
    )
    assert [(t.api_version, t.kind, t.plural, t.delete_on_finalize) for t in PROVIDER.targets] == [
        ("ray.io/v1", "RayService", "rayservices", True)
    ]
    assert PROVIDER.primary == render.RAY_SERVICE
    assert PROVIDER.finalizer == "airunway.ai/kuberay-provider"
    assert PROVIDER.readiness_crd == "rayservices.ray.io"
    assert PROVIDER.sync_patch is None
    assert PROVIDER.sync_replace is drift.sync_replace
    assert PROVIDER.upstream_probe is None
    assert not PROVIDER.uses_storage
    assert status.SERVE_PORT == 8000
