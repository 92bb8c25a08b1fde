"""Samples and provider configs parse with the typed models and validate against the generated CRDs.

Also checks that the models and the CRD agree on defaults, that the provider configs say what
SPEC-core §4.4 says, and that wrong input is rejected naming the failing field.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from airunway_operator.api import crdschema, modeldeployment, providerconfig
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import (
    EngineCapability,
    GatewayCapabilities,
    InferenceProviderConfig,
)
from tests.schema import schema_check

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "config" / "samples"
PROVIDERS = REPO / "config" / "providers"
MODELS: dict[str, type[ModelDeployment] | type[InferenceProviderConfig]] = {
    "ModelDeployment": ModelDeployment,
    "InferenceProviderConfig": InferenceProviderConfig,
}
SCHEMAS = {kind: crdschema.root_schema(model) for kind, model in MODELS.items()}


def _load(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            documents += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


SAMPLE_DOCS = _load(SAMPLES)
PROVIDER_DOCS = _load(PROVIDERS)
ALL_DOCS = [
    pytest.param(body, id=f"{folder}/{name}")
    for folder, docs in (("samples", SAMPLE_DOCS), ("providers", PROVIDER_DOCS))
    for name, body in docs
]
MD_BODIES = [body for _, body in SAMPLE_DOCS if body["kind"] == "ModelDeployment"]


def _parse(body: dict[str, Any]) -> BaseModel:
    return MODELS[body["kind"]].parse(body)


# -- every manifest ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ALL_DOCS)
def test_manifest_parses_without_unknown_fields(body: dict[str, Any]) -> None:
    parsed = _parse(body)
    assert parsed.model_dump(by_alias=True, exclude_unset=True, mode="json") == body


@pytest.mark.parametrize("body", ALL_DOCS)
def test_manifest_validates_against_the_generated_crd(body: dict[str, Any]) -> None:
    assert [str(p) for p in schema_check.validate(body, SCHEMAS[body["kind"]])] == []


@pytest.mark.parametrize("body", ALL_DOCS)
def test_crd_defaulting_does_not_change_the_parsed_object(body: dict[str, Any]) -> None:
    """The model's defaults are the CRD's defaults, applied under the same conditions."""
    defaulted = schema_check.apply_defaults(body, SCHEMAS[body["kind"]])
    assert _parse(defaulted) == _parse(body)


def test_samples_are_namespace_less_and_have_names_without_dots() -> None:
    for body in MD_BODIES:
        assert "namespace" not in body["metadata"], body["metadata"]["name"]
        assert "." not in body["metadata"]["name"]


def test_kustomizations_list_exactly_the_manifest_files() -> None:
    for folder in (SAMPLES, PROVIDERS):
        listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
        on_disk = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert sorted(listed) == sorted(on_disk)


def test_samples_cover_every_provider_mode_and_feature() -> None:
    specs = [ModelDeployment.parse(body).spec for body in MD_BODIES]
    assert {s.provider.name for s in specs if s.provider} >= {"kaito", "dynamo", "kuberay", "llmd", "vllm"}
    assert {s.engine.type for s in specs if s.engine} == {"vllm", "sglang", "llamacpp"}
    disaggregated = {
        s.provider.name for s in specs if s.serving and s.serving.mode == "disaggregated" and s.provider
    }
    assert disaggregated == {"dynamo", "llmd"}
    assert any(s.engine is None or s.engine.type is None for s in specs), "engine auto-selection"
    assert any(s.provider is None and s.resources and s.resources.gpu is None for s in specs), "CPU-only"
    volumes = [
        v for s in specs if s.model.storage and s.model.storage.volumes for v in s.model.storage.volumes
    ]
    assert any(v.purpose == "modelCache" and v.size for v in volumes)
    assert any(v.claim_name and not v.size for v in volumes)
    assert any(s.gateway and s.gateway.model_name for s in specs)
    assert any(s.env and s.secrets and s.node_selector and s.tolerations and s.pod_template for s in specs)
    assert any(s.provider and s.provider.overrides for s in specs)


FORBIDDEN_OVERRIDE_KEYS = {
    "securityContext",
    "serviceAccountName",
    "serviceAccount",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "automountServiceAccountToken",
    "nodeName",
    "priorityClassName",
    "runtimeClassName",
    "replicas",
    "resources",
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_sample_overrides_avoid_keys_upstream_admission_forbids() -> None:
    for body in MD_BODIES:
        overrides = body["spec"].get("provider", {}).get("overrides", {})
        assert not (_keys(overrides) & FORBIDDEN_OVERRIDE_KEYS), body["metadata"]["name"]


# -- provider configs as in SPEC-core §4.4 and SPEC-providers §2.1-§6.1 ---------------------------

ALL_FORMATS = ("openai-chat", "openai-responses", "anthropic-messages")
AGG, BOTH = ("aggregated",), ("aggregated", "disaggregated")
DYNAMO_GATEWAY = {
    "managesInferencePool": True,
    "inferencePoolNamePattern": "{name}-pool",
    "inferencePoolNamespace": "{namespace}",
}

# name -> (engine -> (modes, apiFormats, gpu, cpu)), [(condition, priority)]
EXPECTED_PROVIDERS: dict[
    str, tuple[dict[str, tuple[tuple[str, ...], tuple[str, ...], bool, bool]], list[tuple[str, int]]]
] = {
    "kaito": (
        {"vllm": (AGG, ALL_FORMATS, True, False), "llamacpp": (AGG, ("openai-chat",), True, True)},
        [
            ("!has(spec.resources.gpu) || spec.resources.gpu.count == 0", 100),
            ("spec.engine.type == 'llamacpp'", 100),
        ],
    ),
    "dynamo": (
        {
            "vllm": (BOTH, ALL_FORMATS, True, False),
            "sglang": (BOTH, ("openai-chat", "anthropic-messages"), True, False),
            "trtllm": (AGG, ("openai-chat", "openai-responses"), True, False),
        },
        [
            ("spec.engine.type == 'trtllm'", 100),
            ("spec.engine.type == 'sglang'", 100),
            ("has(spec.serving) && spec.serving.mode == 'disaggregated'", 90),
            ("has(spec.resources.gpu) && spec.resources.gpu.count > 0 && spec.engine.type == 'vllm'", 50),
        ],
    ),
    "kuberay": (
        {"vllm": (BOTH, ("openai-chat",), True, False)},
        [("has(spec.resources.gpu) && spec.resources.gpu.count > 1 && spec.engine.type == 'vllm'", 80)],
    ),
    "llmd": ({"vllm": (BOTH, ALL_FORMATS, True, False)}, []),
    "vllm": ({"vllm": (AGG, ALL_FORMATS, True, False)}, []),
}


def _provider(name: str) -> InferenceProviderConfig:
    [body] = [b for file, b in PROVIDER_DOCS if file == f"{name}.yaml"]
    return InferenceProviderConfig.parse(body)


@pytest.mark.parametrize("name", sorted(EXPECTED_PROVIDERS))
def test_provider_config_matches_spec(name: str) -> None:
    config = _provider(name)
    assert config.metadata.name == name
    assert config.spec is not None
    assert config.spec.capabilities is not None
    engines, rules = EXPECTED_PROVIDERS[name]
    actual = {
        e.name.value: (
            tuple(e.serving_modes or ()),
            tuple(e.api_formats or ()),
            bool(e.gpu_support),
            bool(e.cpu_support),
        )
        for e in config.spec.capabilities.engines or ()
    }
    assert actual == engines
    assert [(r.condition, r.priority) for r in config.spec.selection_rules or ()] == rules


def test_provider_configs_are_exactly_the_five_built_ins() -> None:
    assert sorted(body["metadata"]["name"] for _, body in PROVIDER_DOCS) == sorted(EXPECTED_PROVIDERS)


def _engines(name: str) -> dict[str, EngineCapability]:
    config = _provider(name)
    assert config.spec is not None
    assert config.spec.capabilities is not None
    return {e.name.value: e for e in config.spec.capabilities.engines or ()}


def test_kaito_llamacpp_ignores_served_name_at_the_gateway() -> None:
    kaito = _engines("kaito")
    assert kaito["llamacpp"].gateway == GatewayCapabilities(ignores_served_name=True)
    assert kaito["vllm"].gateway is None
    assert kaito["vllm"].requires_crd is None


def test_dynamo_manages_its_own_inference_pool_for_every_engine() -> None:
    for engine in _engines("dynamo").values():
        assert engine.gateway is not None
        assert engine.gateway.model_dump(exclude_unset=True, by_alias=True) == DYNAMO_GATEWAY


def test_llmd_supplies_the_llmd_scheduler_as_endpoint_picker() -> None:
    llmd = _engines("llmd")["vllm"]
    assert llmd.requires_crd is False
    assert llmd.gateway is not None
    assert llmd.gateway.endpoint_picker is not None
    assert llmd.gateway.endpoint_picker.image == "ghcr.io/llm-d/llm-d-inference-scheduler:v0.6.0"
    picker = yaml.safe_load(llmd.gateway.endpoint_picker.config_data or "")
    assert picker["kind"] == "EndpointPickerConfig"
    assert [p["type"] for p in picker["plugins"]] == [
        "prefix-cache-scorer",
        "decode-filter",
        "max-score-picker",
        "single-profile-handler",
    ]
    [profile] = picker["schedulingProfiles"]
    assert profile["plugins"][-1] == {"pluginRef": "prefix-cache-scorer", "weight": 2}


def test_direct_vllm_has_no_gateway_block() -> None:
    vllm = _engines("vllm")["vllm"]
    assert vllm.gateway is None
    assert vllm.requires_crd is None


# -- parsing -----------------------------------------------------------------------------------------


def _minimal() -> dict[str, Any]:
    return {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": "m"},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "engine": {"type": "vllm"}},
    }


def _with(path: str, value: Any) -> dict[str, Any]:
    body = _minimal()
    node = body["spec"]
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return body


def test_parse_ignores_unknown_fields_and_accepts_any_mapping() -> None:
    body = _with("engine.colour", "blue")
    body["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    parsed = modeldeployment.parse(types.MappingProxyType(body))
    assert parsed.spec.engine is not None
    assert parsed.spec.engine.type == "vllm"
    assert "colour" not in parsed.model_dump(by_alias=True)["spec"]["engine"]


def test_parse_fills_crd_defaults_only_inside_present_objects() -> None:
    spec = modeldeployment.parse(_minimal()).spec
    assert spec.model.source == "huggingface"
    assert spec.engine is not None
    assert spec.engine.enable_prefix_caching is True
    assert spec.scaling is None
    assert spec.serving is None
    assert spec.resources is None


def test_parse_reads_status_and_timestamps() -> None:
    body = _minimal()
    body["metadata"].update(generation=3, creationTimestamp="2026-01-02T03:04:05Z")
    body["status"] = {
        "phase": "Running",
        "provider": {"name": "kaito", "selectedReason": "explicit provider selection"},
        "replicas": {"desired": 1, "ready": 1, "available": 1},
        "observedGeneration": 3,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "DeploymentReady",
                "message": "All replicas are ready",
                "lastTransitionTime": "2026-01-02T03:04:05Z",
                "observedGeneration": 3,
            },
        ],
    }
    parsed = modeldeployment.parse(body)
    assert parsed.status is not None
    assert parsed.status.phase == "Running"
    assert parsed.model_dump(by_alias=True, exclude_unset=True, mode="json") == body
    assert schema_check.validate(body, SCHEMAS["ModelDeployment"]) == []


def test_parse_accepts_quantities_as_integers_or_strings() -> None:
    for size in (10, "100Gi", "1.5T"):
        body = _with("model.storage", {"volumes": [{"name": "cache", "purpose": "modelCache", "size": size}]})
        storage = modeldeployment.parse(body).spec.model.storage
        assert storage is not None
        assert storage.volumes is not None
        assert storage.volumes[0].size == size
        assert schema_check.validate(body, SCHEMAS["ModelDeployment"]) == []


def test_nullable_fields_accept_an_explicit_null_as_absent() -> None:
    body = _with("gateway", {"enabled": None})
    assert schema_check.validate(body, SCHEMAS["ModelDeployment"]) == []
    gateway = modeldeployment.parse(body).spec.gateway
    assert gateway is not None
    assert gateway.enabled is None


def test_providerconfig_parse_reads_status() -> None:
    body = {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "InferenceProviderConfig",
        "metadata": {"name": "llmd"},
        "status": {
            "ready": True,
            "version": "llmd-provider:dev",
            "lastHeartbeat": "2026-01-02T03:04:05Z",
            "upstreamCRDVersion": "apps/v1",
        },
    }
    parsed = providerconfig.parse(body)
    assert parsed.spec is None
    assert parsed.status is not None
    assert parsed.status.upstream_crd_version == "apps/v1"
    assert schema_check.validate(body, SCHEMAS["InferenceProviderConfig"]) == []


# -- negative cases ------------------------------------------------------------------------------------

REJECTIONS = [
    pytest.param("engine.type", "tensorflow", "spec.engine.type", id="unknown engine"),
    pytest.param("serving.mode", "split", "spec.serving.mode", id="unknown serving mode"),
    pytest.param("model.source", "s3", "spec.model.source", id="unknown model source"),
    pytest.param("scaling.replicas", "two", "spec.scaling.replicas", id="replicas as a string"),
    pytest.param("scaling.replicas", -1, "spec.scaling.replicas", id="negative replicas"),
    pytest.param("resources.gpu", {"count": -2}, "spec.resources.gpu.count", id="negative GPU count"),
    pytest.param("resources.gpu", {"count": "many"}, "spec.resources.gpu.count", id="GPU count as a string"),
    pytest.param("engine.extraArgs", "--foo", "spec.engine.extraArgs", id="extraArgs not a list"),
    pytest.param("engine.args", {"port": 8000}, "spec.engine.args.port", id="arg value not a string"),
    pytest.param(
        "model.storage",
        {"volumes": [{"name": f"v{i}", "claimName": f"c{i}"} for i in range(9)]},
        "spec.model.storage.volumes",
        id="more than eight volumes",
    ),
    pytest.param(
        "model.storage",
        {"volumes": [{"name": "Bad_Name", "claimName": "c"}]},
        "spec.model.storage.volumes[0].name",
        id="volume name not a DNS label",
    ),
    pytest.param(
        "model.storage",
        {"volumes": [{"name": "v" * 64, "claimName": "c"}]},
        "spec.model.storage.volumes[0].name",
        id="volume name longer than 63",
    ),
    pytest.param(
        "model.storage",
        {"volumes": [{"name": "v", "purpose": "scratch", "claimName": "c"}]},
        "spec.model.storage.volumes[0].purpose",
        id="unknown volume purpose",
    ),
    pytest.param(
        "model.storage",
        {"volumes": [{"name": "v", "size": "10Gi", "accessMode": "ReadEverything"}]},
        "spec.model.storage.volumes[0].accessMode",
        id="unknown access mode",
    ),
    pytest.param(
        "model.storage",
        {"volumes": [{"name": "v", "size": "ten gigs"}]},
        "spec.model.storage.volumes[0].size",
        id="size not a quantity",
    ),
    pytest.param(
        "model.storage",
        {"volumes": [{"claimName": "c"}]},
        "spec.model.storage.volumes[0].name",
        id="volume without name",
    ),
    pytest.param("env", [{"value": "x"}], "spec.env[0].name", id="env var without name"),
    pytest.param(
        "env",
        [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s"}}}],
        "spec.env[0].valueFrom.secretKeyRef.key",
        id="secret key selector without key",
    ),
    pytest.param(
        "tolerations",
        [{"key": "k", "tolerationSeconds": "soon"}],
        "spec.tolerations[0].tolerationSeconds",
        id="toleration seconds as a string",
    ),
    pytest.param(
        "provider.overrides", ["not", "an", "object"], "spec.provider.overrides", id="overrides not an object"
    ),
]


@pytest.mark.parametrize(("path", "value", "field"), REJECTIONS)
def test_schema_rejects_wrong_input_naming_the_field(path: str, value: Any, field: str) -> None:
    problems = schema_check.validate(_with(path, value), SCHEMAS["ModelDeployment"])
    assert field in {p.path for p in problems}, problems


def _location(error: ValidationError) -> set[str]:
    paths = set()
    for detail in error.errors():
        path = ""
        for part in detail["loc"]:
            path = f"{path}[{part}]" if isinstance(part, int) else schema_check.join(path, str(part))
        paths.add(path)
    return paths


@pytest.mark.parametrize(("path", "value", "field"), REJECTIONS)
def test_model_rejects_wrong_input_naming_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        modeldeployment.parse(_with(path, value))
    assert any(loc.startswith(field) for loc in _location(caught.value)), _location(caught.value)


def test_schema_reports_every_problem_at_once() -> None:
    body = _with("engine.type", "tensorflow")
    body["spec"]["scaling"] = {"replicas": -3}
    paths = {p.path for p in schema_check.validate(body, SCHEMAS["ModelDeployment"])}
    assert {"spec.engine.type", "spec.scaling.replicas"} <= paths


def test_schema_rejects_unknown_fields_and_duplicate_list_map_keys() -> None:
    body = _with("engine.colour", "blue")
    body["spec"]["model"]["storage"] = {
        "volumes": [{"name": "a", "claimName": "x"}, {"name": "a", "claimName": "y"}]
    }
    paths = {p.path for p in schema_check.validate(body, SCHEMAS["ModelDeployment"])}
    assert paths == {"spec.engine.colour", "spec.model.storage.volumes[1]"}


def test_schema_requires_spec_and_model() -> None:
    body = _minimal()
    del body["spec"]["model"]
    assert [p.path for p in schema_check.validate(body, SCHEMAS["ModelDeployment"])] == ["spec.model"]
    del body["spec"]
    assert [p.path for p in schema_check.validate(body, SCHEMAS["ModelDeployment"])] == ["spec"]


def test_free_form_overrides_keep_any_nested_content() -> None:
    body = _with(
        "provider.overrides", {"spec": {"template": {"metadata": {"labels": {"a": "b"}}}}, "x": [1, None]}
    )
    assert schema_check.validate(body, SCHEMAS["ModelDeployment"]) == []
    provider = modeldeployment.parse(body).spec.provider
    assert provider is not None
    assert provider.overrides == body["spec"]["provider"]["overrides"]
