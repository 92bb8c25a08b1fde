"""Auth on: the backend checks each bearer token with a TokenReview and acts with it, so a token bound
to a namespace-scoped Role can do through the API exactly what RBAC lets it do with kubectl."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airunway_operator.api import constants
from tests.backend.process import Backend
from tests.backend.tokens import grant_in_namespace, service_account_token
from tests.conftest import Cluster
from tests.support import fresh_namespace, get_or_none, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
MD_RULES = [{"apiGroups": [G], "resources": [MD], "verbs": ["get", "list", "create", "delete"]}]


@pytest.fixture
def other_namespace(cluster: Cluster) -> Iterator[str]:
    with fresh_namespace(cluster.core) as name:
        yield name


@pytest.fixture
def scoped_token(cluster: Cluster, namespace: str) -> str:
    """A token allowed get/list/create/delete of ModelDeployments in `namespace` only."""
    grant_in_namespace(cluster, namespace, "deployer", MD_RULES)
    return service_account_token(cluster, namespace, "deployer")


def test_a_namespace_scoped_token_works_only_in_its_namespace(
    cluster: Cluster, namespace: str, other_namespace: str, scoped_token: str, secure_backend: Backend
) -> None:
    user = f"system:serviceaccount:{namespace}:deployer"
    mine = secure_backend.get(f"/api/deployments?namespace={namespace}", token=scoped_token)
    assert (mine.status, mine.json()) == (200, {"items": []})

    spec = vllm_md("qwen")["spec"]
    created = secure_backend.request(
        "POST", "/api/deployments", {"name": "qwen", "namespace": namespace, "spec": spec}, token=scoped_token
    )
    assert created.status == 201, created.text
    listed = secure_backend.get(f"/api/deployments?namespace={namespace}", token=scoped_token).json()["items"]
    assert [i["name"] for i in listed] == ["qwen"]

    everywhere = secure_backend.get("/api/deployments", token=scoped_token)
    assert everywhere.status == 403
    assert everywhere.json()["detail"]["reason"] == "Forbidden"
    assert user in everywhere.json()["detail"]["message"]

    elsewhere = secure_backend.get(f"/api/deployments?namespace={other_namespace}", token=scoped_token)
    assert elsewhere.status == 403
    assert user in elsewhere.json()["detail"]["message"]

    create_elsewhere = secure_backend.request(
        "POST",
        "/api/deployments",
        {"name": "qwen", "namespace": other_namespace, "spec": spec},
        token=scoped_token,
    )
    assert create_elsewhere.status == 403
    assert "cannot create resource" in create_elsewhere.json()["detail"]["message"]
    assert get_or_none(cluster.custom.get_namespaced_custom_object, G, V, other_namespace, MD, "qwen") is None

    # what the Role does not grant is refused too (the settings ConfigMap, the nodes)
    assert secure_backend.get("/api/cluster/gpus", token=scoped_token).status == 403
    assert secure_backend.get("/api/settings", token=scoped_token).status == 403

    deleted = secure_backend.request("DELETE", f"/api/deployments/{namespace}/qwen", token=scoped_token)
    assert deleted.status == 202
    wait_for(
        lambda: get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, "qwen") is None,
        60,
        "the ModelDeployment to be gone",
    )
    assert scoped_token not in secure_backend.output()


def test_missing_or_invalid_tokens_are_refused(secure_backend: Backend, namespace: str) -> None:
    assert secure_backend.get("/api/health").json()["auth"] == {"enabled": True}
    missing = secure_backend.get(f"/api/deployments?namespace={namespace}")
    assert missing.status == 401
    assert "bearer token" in missing.json()["detail"]
    garbage = secure_backend.get(f"/api/deployments?namespace={namespace}", token="not-a-real-token")
    assert garbage.status == 401
    assert "not valid" in garbage.json()["detail"]
    forged = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06YWRtaW4ifQ.c2lnbmF0dXJl"
    assert secure_backend.get("/api/runtimes", token=forged).status == 401
    assert secure_backend.request("POST", "/api/deployments", {}, token="not-a-real-token").status == 401
    assert "not-a-real-token" not in secure_backend.output()
    assert forged not in secure_backend.output()
