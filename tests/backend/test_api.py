"""The backend's API on the local control plane, with auth off: deploy -> Running on kwok GPU nodes ->
delete, the API server's rejections passed through, settings, runtimes, GPU capacity."""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.backend.process import Backend
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import MODEL_ID, get_or_none, vllm_md, wait_for
from tests.unit.backend.stubs import hub_server

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


def summary_of(backend: Backend, namespace: str, name: str, path: str = "") -> dict[str, Any] | None:
    items = backend.get(f"/api/deployments{path}").json()["items"]
    return next((i for i in items if (i["namespace"], i["name"]) == (namespace, name)), None)


def test_health_reports_the_cluster(backend: Backend) -> None:
    body = backend.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["cluster"]["connected"] is True
    assert body["cluster"]["version"].startswith("v1.")
    assert body["auth"] == {"enabled": False}
    assert "AUTHENTICATION IS OFF" in backend.output()


def test_deploy_through_the_api_runs_on_kwok_gpu_nodes_then_delete(
    cluster: Cluster, namespace: str, operator: Operator, backend: Backend
) -> None:
    spec = vllm_md("qwen")["spec"]
    created = backend.request(
        "POST", "/api/deployments", {"name": "qwen", "namespace": namespace, "spec": spec}
    )
    assert created.status == 201, created.text
    assert (created.json()["name"], created.json()["namespace"], created.json()["modelId"]) == (
        "qwen",
        namespace,
        MODEL_ID,
    )
    stored = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "qwen")
    assert stored["spec"]["model"]["id"] == MODEL_ID
    assert stored["spec"]["resources"]["gpu"]["count"] == 1

    def running() -> dict[str, Any] | None:
        item = summary_of(backend, namespace, "qwen", f"?namespace={namespace}")
        return item if item and item["phase"] == "Running" and item["replicas"]["ready"] == 1 else None

    item = wait_for(running, 90, "the ModelDeployment to be Running through the API")
    assert (item["engine"], item["provider"], item["mode"]) == ("vllm", "vllm", "aggregated")
    assert item["endpoint"] == {"service": "qwen", "port": 8000}
    assert {c["type"]: c["status"] for c in item["conditions"]}["Ready"] == "True"
    assert summary_of(backend, namespace, "qwen") is not None  # the all-namespaces list has it too

    detail = backend.get(f"/api/deployments/{namespace}/qwen").json()
    assert detail["spec"] == stored["spec"]
    [pod] = detail["pods"]
    assert (pod["phase"], pod["ready"], pod["restarts"]) == ("Running", True, 0)
    assert pod["node"].startswith("kwok-gpu-")
    assert any(e["object"] == f"Pod/{pod['name']}" and e["reason"] == "Scheduled" for e in detail["events"])

    capacity = backend.get("/api/cluster/gpus").json()
    node = next(n for n in capacity["nodes"] if n["name"] == pod["node"])
    assert node["allocated"] >= 1
    assert node["available"] == node["allocatable"] - node["allocated"]

    logs = backend.get(f"/api/deployments/{namespace}/qwen/logs?tailLines=5")
    if logs.status == 200:
        assert logs.json()["pod"] == pod["name"]
    else:  # kwok runs no containers: the API server's own answer comes through
        assert logs.json()["detail"]["message"]
    assert backend.get(f"/api/deployments/{namespace}/qwen/logs?pod=not-mine").status == 404

    deleted = backend.request("DELETE", f"/api/deployments/{namespace}/qwen")
    assert (deleted.status, deleted.json()) == (202, {"deleted": True})
    wait_for(
        lambda: get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, "qwen") is None,
        60,
        "the ModelDeployment to be gone",
    )
    assert summary_of(backend, namespace, "qwen") is None
    gone = backend.get(f"/api/deployments/{namespace}/qwen")
    assert gone.status == 404
    assert gone.json()["detail"]["reason"] == "NotFound"
    again = backend.request("DELETE", f"/api/deployments/{namespace}/qwen")
    assert again.status == 404


def api_server_rejection(cluster: Cluster, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the API server answers kubectl for the same object (a dry run)."""
    try:
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body, dry_run="All")
    except ApiException as err:
        return {**json.loads(err.body), "http": err.status}
    raise AssertionError("the API server accepted the object")


def test_the_webhooks_rejection_comes_through_intact(
    cluster: Cluster, namespace: str, operator: Operator, backend: Backend
) -> None:
    body = vllm_md("bad")
    body["spec"]["provider"]["overrides"] = {"hostNetwork": True}
    expected = api_server_rejection(cluster, namespace, body)
    answer = backend.request(
        "POST", "/api/deployments", {"name": "bad", "namespace": namespace, "spec": body["spec"]}
    )
    assert answer.status == expected["http"]
    detail = answer.json()["detail"]
    assert detail["message"] == expected["message"]
    assert "admission webhook" in detail["message"]
    assert "denied the request" in detail["message"]
    assert "spec.provider.overrides.hostNetwork" in detail["message"]
    assert detail["code"] == expected["code"]
    assert detail["reason"] == expected.get("reason")
    assert get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, "bad") is None


def test_the_crd_schemas_rejection_comes_through_intact(
    cluster: Cluster, namespace: str, backend: Backend
) -> None:
    body = vllm_md("bad-engine")
    body["spec"]["engine"] = {"type": "no-such-engine"}
    expected = api_server_rejection(cluster, namespace, body)
    answer = backend.request(
        "POST", "/api/deployments", {"name": "bad-engine", "namespace": namespace, "spec": body["spec"]}
    )
    assert answer.status == expected["http"] == 422
    detail = answer.json()["detail"]
    assert detail["message"] == expected["message"]
    assert detail["reason"] == "Invalid"
    assert any(c.get("field") == "spec.engine.type" for c in detail["causes"])


def test_bad_input_is_refused_naming_the_field_before_the_api_server(
    cluster: Cluster, namespace: str, backend: Backend
) -> None:
    answer = backend.request(
        "POST", "/api/deployments", {"name": "Not_Valid", "namespace": namespace, "spec": {"model": {}}}
    )
    assert answer.status == 422
    locs = [e["loc"] for e in answer.json()["detail"]]
    assert locs == [["body", "name"], ["body", "spec", "model", "id"]]
    assert cluster.custom.list_namespaced_custom_object(G, V, namespace, MD)["items"] == []


def test_namespaces_are_listed(namespace: str, backend: Backend) -> None:
    assert namespace in backend.get("/api/namespaces").json()["items"]


def test_gpu_capacity_of_the_kwok_nodes(cluster: Cluster, backend: Backend) -> None:
    answer = backend.get("/api/cluster/gpus").json()
    kwok = [
        n
        for n in cluster.core.list_node(label_selector="type=kwok").items
        if n.metadata.name.startswith("kwok-gpu")
    ]
    assert len(answer["nodes"]) == len(kwok) >= 1
    for node in answer["nodes"]:
        assert (node["capacity"], node["allocatable"], node["product"], node["memoryMiB"], node["ready"]) == (
            8,
            8,
            "NVIDIA-H100-80GB-HBM3",
            81559,
            True,
        )
        assert node["pool"] == "Standard_ND96isr_H100_v5"
    assert answer["total"] == 8 * len(kwok)
    assert answer["available"] == answer["total"] - answer["allocated"]
    [pool] = answer["pools"]
    assert (pool["name"], pool["nodes"], pool["capacity"]) == (
        "Standard_ND96isr_H100_v5",
        len(kwok),
        8 * len(kwok),
    )


def test_settings_round_trip_through_a_config_map(
    cluster: Cluster, settings_namespace: str, backend: Backend
) -> None:
    assert (
        get_or_none(cluster.core.read_namespaced_config_map, "airunway-backend-settings", settings_namespace)
        is None
    )
    assert backend.get("/api/settings").json() == {
        "defaultNamespace": "default",
        "customModels": [],
        "huggingFaceEndpoint": None,
    }
    wanted = {
        "defaultNamespace": "team-a",
        "customModels": [{"id": "acme/Acme-Chat-3B", "name": "Acme Chat", "supportedEngines": ["vllm"]}],
        "huggingFaceEndpoint": None,
    }
    saved = backend.request("PUT", "/api/settings", wanted)
    assert saved.status == 200, saved.text
    assert saved.json()["defaultNamespace"] == "team-a"
    assert backend.get("/api/settings").json() == saved.json()
    stored = cluster.core.read_namespaced_config_map("airunway-backend-settings", settings_namespace)
    assert stored.data["defaultNamespace"] == "team-a"
    assert "acme/Acme-Chat-3B" in stored.data["customModels"]

    models = backend.get("/api/models").json()["items"]
    custom = next(m for m in models if m["id"] == "acme/Acme-Chat-3B")
    assert (custom["source"], custom["name"], custom["parameterCount"]) == (
        "custom",
        "Acme Chat",
        3_000_000_000,
    )

    bad = backend.request("PUT", "/api/settings", {**wanted, "defaultNamespace": "Team A"})
    assert bad.status == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "defaultNamespace"]
    changed = backend.request("PUT", "/api/settings", {**wanted, "customModels": []})
    assert changed.json()["customModels"] == []
    assert backend.get("/api/settings").json()["customModels"] == []


def test_model_search_with_the_hub_unreachable_is_offline(backend: Backend) -> None:
    body = backend.get("/api/models?search=qwen").json()
    assert body["hub"]["reachable"] is False
    assert body["hub"]["message"].startswith("offline")
    assert "Qwen/Qwen2.5-0.5B-Instruct" in [m["id"] for m in body["items"]]


def test_runtimes_show_the_registered_provider(operator: Operator, backend: Backend) -> None:
    def vllm_ready() -> dict[str, Any] | None:
        items = backend.get("/api/runtimes").json()["items"]
        return next((r for r in items if r["name"] == "vllm" and r["ready"]), None)

    vllm = wait_for(vllm_ready, 30, "the vllm runtime to be ready")
    assert vllm["version"].startswith("vllm-provider:")
    assert isinstance(vllm["heartbeatAgeSeconds"], int)
    assert 0 <= vllm["heartbeatAgeSeconds"] < 300
    assert vllm["installed"] is True
    assert vllm["capabilities"]["engines"] == ["vllm"]
    assert vllm["capabilities"]["gpu"] is True
    assert vllm["installation"]["steps"][0]["title"] == "Install NVIDIA GPU Device Plugin"


def test_installation_without_helm_answers_the_exact_commands(operator: Operator, backend: Backend) -> None:
    items = backend.get("/api/runtimes").json()["items"]
    steps = [s["command"] for s in next(r for r in items if r["name"] == "vllm")["installation"]["steps"]]
    info = backend.get("/api/installation/vllm").json()
    assert info == {"provider": "vllm", "helmAvailable": False, "commands": steps}
    answer = backend.request("POST", "/api/installation/vllm/install")
    assert answer.status == 200
    body = answer.json()
    assert (body["installed"], body["helmAvailable"], body["commands"], body["manualCommands"]) == (
        False,
        False,
        steps,
        steps,
    )
    assert body["output"].startswith("helm is not available")
    assert backend.get("/api/installation/no-such-provider").status == 404


def test_the_webhooks_warnings_come_back_with_the_created_deployment(
    cluster: Cluster, namespace: str, operator: Operator, backend: Backend
) -> None:
    spec = vllm_md("warned")["spec"]
    spec["engine"] = {"type": "vllm", "trustRemoteCode": True}
    created = backend.request(
        "POST", "/api/deployments", {"name": "warned", "namespace": namespace, "spec": spec}
    )
    assert created.status == 201, created.text
    assert any("trustRemoteCode" in w for w in created.json()["warnings"]), created.json()
    plain = backend.request(
        "POST",
        "/api/deployments",
        {"name": "plain", "namespace": namespace, "spec": vllm_md("plain")["spec"]},
    )
    assert plain.json()["warnings"] == []
    for name in ("warned", "plain"):
        assert backend.request("DELETE", f"/api/deployments/{namespace}/{name}").status == 202
    wait_for(
        lambda: backend.get(f"/api/deployments?namespace={namespace}").json()["items"] == [], 60, "both gone"
    )


def test_model_search_uses_the_hub_the_settings_name(backend: Backend) -> None:
    before = backend.get("/api/settings").json()
    with hub_server() as (url, seen):
        saved = backend.request("PUT", "/api/settings", {**before, "huggingFaceEndpoint": url})
        assert saved.status == 200, saved.text
        try:
            body = backend.get("/api/models?search=qwen&limit=5").json()
        finally:
            backend.request("PUT", "/api/settings", before)
    assert body["hub"]["reachable"] is True
    assert url in body["hub"]["message"]
    sources = {m["id"]: m["source"] for m in body["items"]}
    assert sources["someone/Qwen-Chat-14B-GGUF"] == "huggingface"
    assert sources["Qwen/Qwen2.5-0.5B-Instruct"] == "catalog"
    assert seen[0]["search"] == ["qwen"]
    assert backend.get("/api/settings").json() == before
