"""Our CRDs in a real API server: samples admitted unchanged, wrong input rejected naming the field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.support import manifests

G, V = constants.GROUP, constants.VERSION
MD_PLURAL, IPC_PLURAL = constants.MODELDEPLOYMENT_PLURAL, constants.PROVIDERCONFIG_PLURAL
SAMPLES = [(f, d) for f, d in manifests("config/samples") if d["kind"] == "ModelDeployment"]
PROVIDERS = [(f, d) for f, d in manifests("config/providers") if d["kind"] == "InferenceProviderConfig"]


def _create_md(cluster: Cluster, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = cluster.custom.create_namespaced_custom_object(
        G, V, namespace, MD_PLURAL, body, field_validation="Strict"
    )
    return result


def _rejection(cluster: Cluster, namespace: str, body: dict[str, Any]) -> str:
    with pytest.raises(ApiException) as caught:
        _create_md(cluster, namespace, body)
    assert caught.value.status in (400, 422), caught.value.body
    return str(json.loads(caught.value.body)["message"])


def _minimal(name: str = "m") -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "engine": {"type": "vllm"}},
    }


def test_samples_exist_for_every_provider() -> None:
    assert len(SAMPLES) >= 8
    assert {d["metadata"]["name"] for _, d in PROVIDERS} == {"kaito", "dynamo", "kuberay", "llmd", "vllm"}


@pytest.mark.parametrize(("filename", "body"), SAMPLES, ids=[f for f, _ in SAMPLES])
def test_every_sample_modeldeployment_is_admitted_unchanged(
    cluster: Cluster, namespace: str, filename: str, body: dict[str, Any]
) -> None:
    stored = _create_md(cluster, namespace, copy.deepcopy(body))

    def contains(expected: Any, actual: Any, path: str) -> None:
        if isinstance(expected, dict):
            for key, value in expected.items():
                assert key in actual, f"{filename}: {path}.{key} was pruned by the API server"
                contains(value, actual[key], f"{path}.{key}")
        elif isinstance(expected, list):
            assert len(expected) == len(actual), f"{filename}: {path} changed length"
            for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
                contains(e, a, f"{path}[{i}]")
        else:
            assert expected == actual, f"{filename}: {path} changed from {expected!r} to {actual!r}"

    contains(body["spec"], stored["spec"], "spec")


@pytest.mark.parametrize(("filename", "body"), PROVIDERS, ids=[f for f, _ in PROVIDERS])
def test_every_provider_config_is_admitted(cluster: Cluster, filename: str, body: dict[str, Any]) -> None:
    name = body["metadata"]["name"]
    try:
        cluster.custom.delete_cluster_custom_object(G, V, IPC_PLURAL, name)
    except ApiException as err:
        if err.status != 404:
            raise
    stored = cluster.custom.create_cluster_custom_object(
        G, V, IPC_PLURAL, copy.deepcopy(body), field_validation="Strict"
    )
    assert stored["spec"] == body["spec"]
    assert "namespace" not in stored["metadata"]


def test_schema_defaults_are_applied_by_the_api_server(cluster: Cluster, namespace: str) -> None:
    body = _minimal()
    body["spec"]["model"]["storage"] = {
        "volumes": [{"name": "cache", "claimName": "models", "mountPath": "/m"}]
    }
    body["spec"]["scaling"] = {}
    body["spec"]["serving"] = {}
    stored = _create_md(cluster, namespace, body)["spec"]
    assert stored["model"]["source"] == "huggingface"
    assert stored["model"]["storage"]["volumes"][0]["purpose"] == "custom"
    assert stored["model"]["storage"]["volumes"][0]["readOnly"] is False
    assert stored["engine"]["enablePrefixCaching"] is True
    assert stored["engine"]["trustRemoteCode"] is False
    assert stored["serving"]["mode"] == "aggregated"
    assert stored["scaling"]["replicas"] == 1


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = body["spec"]
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return body


REJECTIONS = [
    pytest.param("engine.type", "tensorflow", "spec.engine.type", id="unknown engine"),
    pytest.param("serving.mode", "split", "spec.serving.mode", id="unknown serving mode"),
    pytest.param("model.source", "s3", "spec.model.source", id="unknown model source"),
    pytest.param("scaling.replicas", "two", "spec.scaling.replicas", id="replicas as a string"),
    pytest.param("scaling.replicas", -1, "spec.scaling.replicas", id="negative replicas"),
    pytest.param("resources.gpu.count", -2, "spec.resources.gpu.count", id="negative GPU count"),
    pytest.param("resources.gpu", {"count": "many"}, "spec.resources.gpu.count", id="GPU count as a string"),
    pytest.param("engine.trustRemoteCode", "yes", "spec.engine.trustRemoteCode", id="bool as a string"),
    pytest.param("engine.extraArgs", "--foo", "spec.engine.extraArgs", id="extraArgs not a list"),
    pytest.param(
        "model.storage.volumes",
        [{"name": f"v{i}", "claimName": f"c{i}"} for i in range(9)],
        "spec.model.storage.volumes",
        id="more than eight volumes",
    ),
    pytest.param(
        "model.storage.volumes",
        [{"name": "Bad_Name", "claimName": "c"}],
        "spec.model.storage.volumes[0].name",
        id="volume name not a DNS label",
    ),
    pytest.param(
        "model.storage.volumes",
        [{"name": "v", "purpose": "scratch"}],
        "spec.model.storage.volumes[0].purpose",
        id="unknown volume purpose",
    ),
    pytest.param(
        "model.storage.volumes",
        [{"name": "v", "size": "10Gi", "accessMode": "ReadEverything"}],
        "spec.model.storage.volumes[0].accessMode",
        id="unknown access mode",
    ),
    pytest.param(
        "model.storage.volumes",
        [{"claimName": "c"}],
        "spec.model.storage.volumes[0].name",
        id="volume without name",
    ),
    pytest.param("env", [{"value": "x"}], "spec.env[0].name", id="env var without name"),
    pytest.param("engine.colour", "blue", "spec.engine.colour", id="unknown field under strict validation"),
]


@pytest.mark.parametrize(("path", "value", "field"), REJECTIONS)
def test_schema_rejects_wrong_input_naming_the_field(
    cluster: Cluster, namespace: str, path: str, value: Any, field: str
) -> None:
    message = _rejection(cluster, namespace, _set(_minimal(), path, value))
    assert field in message


def test_missing_spec_and_model_are_rejected(cluster: Cluster, namespace: str) -> None:
    body = _minimal()
    del body["spec"]
    assert "spec" in _rejection(cluster, namespace, body)
    body = _minimal()
    del body["spec"]["model"]
    assert "spec.model" in _rejection(cluster, namespace, body)


def test_one_rejection_lists_every_schema_problem(cluster: Cluster, namespace: str) -> None:
    body = _set(_set(_minimal(), "engine.type", "tensorflow"), "scaling.replicas", -3)
    message = _rejection(cluster, namespace, body)
    assert "spec.engine.type" in message
    assert "spec.scaling.replicas" in message


def test_printer_columns_show_phase_provider_engine_replicas_age(cluster: Cluster, namespace: str) -> None:
    _create_md(cluster, namespace, _minimal("columns"))
    table = cluster.get_json(
        f"/apis/{G}/{V}/namespaces/{namespace}/{MD_PLURAL}", "application/json;as=Table;v=v1;g=meta.k8s.io"
    )
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names[:1] == ["Name"]
    assert {"Phase", "Provider", "Engine", "Replicas", "Age"} <= set(names)


def test_short_names_and_scope(cluster: Cluster) -> None:
    resources = cluster.get_json(f"/apis/{G}/{V}")["resources"]
    by_name = {r["name"]: r for r in resources}
    assert by_name[MD_PLURAL]["namespaced"] is True
    assert by_name[IPC_PLURAL]["namespaced"] is False
    assert set(by_name[MD_PLURAL]["shortNames"]) == {"md", "mdep"}
    assert by_name[IPC_PLURAL]["shortNames"] == ["ipc"]
    assert f"{MD_PLURAL}/status" in by_name
    assert f"{IPC_PLURAL}/status" in by_name


def test_field_descriptions_are_published_for_kubectl_explain(cluster: Cluster) -> None:
    doc = cluster.get_json(f"/openapi/v3/apis/{G}/{V}")
    schemas = doc["components"]["schemas"]
    md = next(s for k, s in schemas.items() if k.endswith(".ModelDeployment"))
    spec = md["properties"]["spec"]
    assert spec.get("description")
    for field in ("model", "engine", "provider", "resources", "scaling", "serving", "gateway"):
        assert spec["properties"][field].get("description"), f"spec.{field} has no description"
    assert spec["properties"]["model"]["properties"]["id"].get("description")


def test_vendored_thirdparty_kinds_are_served(cluster: Cluster) -> None:
    groups = cluster.get_json("/apis")
    served = {g["name"] for g in groups["groups"]}
    assert {
        "kaito.sh",
        "nvidia.com",
        "ray.io",
        "gateway.networking.k8s.io",
        "inference.networking.k8s.io",
        "inference.networking.x-k8s.io",
        G,
    } <= served
