"""The API without a cluster: request validation, auth refusals, the UI's files, an unreachable API
server, and model search against a loopback hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kubernetes import client

from airunway_backend.app import create_app
from airunway_backend.config import BackendConfig
from airunway_backend.kube import KubeAccess
from tests.unit.backend.stubs import closed_port, hub_server


def app_client(tmp_path: Path, **config) -> TestClient:
    cfg = client.Configuration()
    cfg.host = f"https://127.0.0.1:{closed_port()}"
    cfg.retries = 0
    settings = BackendConfig(static_dir=tmp_path, **config)
    return TestClient(create_app(settings, KubeAccess(cfg, 2.0)))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path, auth=False, hf_endpoint=f"http://127.0.0.1:{closed_port()}") as c:
        yield c


def test_health_says_when_the_cluster_is_unreachable(api: TestClient) -> None:
    answer = api.get("/api/health")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["cluster"]["connected"], body["cluster"]["version"]) == (
        "unavailable",
        False,
        None,
    )
    assert body["cluster"]["error"].startswith("Kubernetes API unreachable")
    assert body["auth"] == {"enabled": False}


def test_an_unreachable_cluster_is_a_503_with_a_message(api: TestClient) -> None:
    answer = api.get("/api/deployments")
    assert answer.status_code == 503
    assert answer.json()["detail"]["message"].startswith("Kubernetes API unreachable")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "Bad_Name", "namespace": "ns", "spec": {"model": {"id": "a/b"}}}, ["body", "name"]),
        ({"name": "x" * 64, "namespace": "ns", "spec": {"model": {"id": "a/b"}}}, ["body", "name"]),
        ({"name": "ok", "namespace": "-ns", "spec": {"model": {"id": "a/b"}}}, ["body", "namespace"]),
        ({"name": "ok", "namespace": "ns", "spec": {"model": {}}}, ["body", "spec", "model", "id"]),
        ({"name": "ok", "namespace": "ns", "spec": {"model": {"id": "  "}}}, ["body", "spec", "model", "id"]),
        ({"name": "ok", "namespace": "ns", "spec": {}}, ["body", "spec", "model"]),
        ({"name": "ok", "spec": {"model": {"id": "a/b"}}}, ["body", "namespace"]),
    ],
)
def test_bad_deployments_are_refused_naming_the_field(
    api: TestClient, body: dict[str, Any], loc: list[object]
) -> None:
    answer = api.post("/api/deployments", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == loc


def test_bad_settings_are_refused_naming_the_field(api: TestClient) -> None:
    answer = api.put("/api/settings", json={"defaultNamespace": "ok", "customModels": [{"name": "no id"}]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "customModels", 0, "id"]


def test_models_without_search_do_not_ask_the_hub(api: TestClient) -> None:
    body = api.get("/api/models").json()
    assert body["hub"] == {"reachable": None, "message": "not asked"}
    assert len(body["items"]) >= 12
    assert {m["source"] for m in body["items"]} == {"catalog"}


def test_search_with_the_hub_unreachable_answers_offline(api: TestClient) -> None:
    body = api.get("/api/models", params={"search": "llama"}).json()
    assert body["hub"]["reachable"] is False
    assert body["hub"]["message"].startswith("offline")
    assert body["items"]
    assert all("llama" in (m["id"] + m["name"] + m["description"]).lower() for m in body["items"])
    assert "meta-llama/Llama-3.1-8B-Instruct" in [m["id"] for m in body["items"]]


def test_search_adds_the_hubs_results_after_the_catalogs(tmp_path: Path) -> None:
    with hub_server() as (url, _), app_client(tmp_path, auth=False, hf_endpoint=url) as api:
        body = api.get("/api/models", params={"search": "qwen", "limit": 10}).json()
    assert body["hub"]["reachable"] is True
    sources = {m["id"]: m["source"] for m in body["items"]}
    assert sources["Qwen/Qwen2.5-0.5B-Instruct"] == "catalog"  # not repeated from the hub
    assert sources["someone/Qwen-Chat-14B-GGUF"] == "huggingface"
    assert list(sources).index("someone/Qwen-Chat-14B-GGUF") > list(sources).index("Qwen/Qwen3-8B")


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwdw==", "Bearer "])
def test_auth_on_refuses_requests_without_a_bearer_token(tmp_path: Path, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    with app_client(tmp_path, auth=True) as api:
        answer = api.get("/api/deployments", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "bearer token" in answer.json()["detail"]
        assert api.get("/api/health").json()["auth"] == {"enabled": True}


def test_the_ui_files_and_the_spa_fallback(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path / "index.html").write_text("<html>the ui</html>")
    (tmp_path.parent / "secret.txt").write_text("outside")
    with app_client(tmp_path, auth=False) as api:
        assert api.get("/assets/app.js").text == "console.log(1)"
        assert api.get("/").text == "<html>the ui</html>"
        assert api.get("/deployments/ns/name").text == "<html>the ui</html>"
        assert "outside" not in api.get("/../secret.txt").text
        assert "outside" not in api.get("/assets/..%2F..%2Fsecret.txt").text
        assert api.get("/api/no-such-thing").status_code == 404


def test_an_unbuilt_ui_says_how_to_build_it(tmp_path: Path) -> None:
    with app_client(tmp_path / "missing", auth=False) as api:
        answer = api.get("/")
    assert answer.status_code == 200
    assert "make ui" in answer.text


def test_openapi_is_published(api: TestClient) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/health",
        "/api/deployments",
        "/api/deployments/{namespace}/{name}",
        "/api/deployments/{namespace}/{name}/logs",
        "/api/models",
        "/api/runtimes",
        "/api/installation/{provider}",
        "/api/installation/{provider}/install",
        "/api/settings",
        "/api/cluster/gpus",
        "/api/namespaces",
    ):
        assert path in paths, path
    assert api.get("/api/docs").status_code == 200
    listed = paths["/api/deployments"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/Summaries"}
    schemas = api.get("/api/openapi.json").json()["components"]["schemas"]
    assert set(schemas["Summary"]["properties"]) == {
        "name",
        "namespace",
        "modelId",
        "engine",
        "provider",
        "mode",
        "phase",
        "replicas",
        "endpoint",
        "message",
        "createdAt",
        "conditions",
    }


def test_a_token_that_cannot_be_checked_is_a_503(tmp_path: Path) -> None:
    with app_client(tmp_path, auth=True) as api:
        answer = api.get("/api/deployments", headers={"Authorization": "Bearer some-token"})
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("the backend cannot check tokens")
    assert "some-token" not in answer.text
