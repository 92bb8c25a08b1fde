"""The chart's optional backend (API + web UI): off by default; on, a Deployment running
`airunway-backend` from the operator's image with auth on, its Service, and a ServiceAccount that
may only create TokenReviews. The rendered objects are also accepted by the local plane's API server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.version import VERSION
from tests.conftest import Cluster
from tests.deploy import dryrun, tools
from tests.deploy.tools import Objects, container, env, find, one

NAME = "r-airunway-operator-backend"


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tools.chart_copy(tmp_path_factory.mktemp("chart"))


def render(
    chart: Path, tmp_path: Path, values: dict[str, Any], namespace: str = "airunway-system"
) -> Objects:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return tools.template(chart, "--values", str(path), namespace=namespace)


def test_the_backend_is_off_by_default(chart: Path) -> None:
    objects = tools.template(chart)
    assert not [o for o in objects if o["metadata"]["name"].endswith("-backend")]


def test_the_backend_on_renders_deployment_service_and_token_review_rights(
    chart: Path, tmp_path: Path
) -> None:
    tools.run(tools.helm(), "lint", chart, "--strict", "--set", "backend.enabled=true")
    objects = render(chart, tmp_path, {"backend": {"enabled": True}})
    deployment = one(objects, "Deployment", NAME)
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == NAME
    assert pod["securityContext"]["runAsNonRoot"] is True
    c = container(deployment)
    assert c["image"] == f"airunway-operator:{VERSION}"  # the operator's image
    assert c["command"] == ["airunway-backend"]
    assert c["args"] == ["--host", "0.0.0.0", "--port", "8080"]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["readinessProbe"]["httpGet"] == {"path": "/api/health", "port": "http"}
    variables = env(deployment)
    assert variables["AIRUNWAY_BACKEND_AUTH"] == "true"
    assert "AIRUNWAY_BACKEND_HF_ENDPOINT" not in variables

    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "airunway-backend"
    service = one(objects, "Service", NAME)
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"] == labels
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]
    # the operator's own Services do not pick the backend's pods
    for other in find(objects, "Service"):
        if other["metadata"]["name"] != NAME:
            assert other["spec"]["selector"].get("app.kubernetes.io/name") != "airunway-backend"

    role = one(objects, "ClusterRole", "r-airunway-backend")
    assert role["rules"] == [
        {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]}
    ]
    binding = one(objects, "ClusterRoleBinding", "r-airunway-backend")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": NAME, "namespace": "airunway-system"}]
    one(objects, "ServiceAccount", NAME)


def test_backend_values(chart: Path, tmp_path: Path) -> None:
    objects = render(
        chart,
        tmp_path,
        {
            "backend": {
                "enabled": True,
                "auth": False,
                "port": 9000,
                "huggingFaceEndpoint": "http://hub.internal",
                "service": {"type": "NodePort", "port": 8080},
                "extraEnv": {"AIRUNWAY_BACKEND_HELM": "/bin/helm"},
            }
        },
    )
    deployment = one(objects, "Deployment", NAME)
    c = container(deployment)
    assert c["args"] == ["--host", "0.0.0.0", "--port", "9000"]
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": 9000}
    variables = env(deployment)
    assert variables["AIRUNWAY_BACKEND_AUTH"] == "false"
    assert variables["AIRUNWAY_BACKEND_HF_ENDPOINT"] == "http://hub.internal"
    assert variables["AIRUNWAY_BACKEND_HELM"] == "/bin/helm"
    assert one(objects, "Service", NAME)["spec"]["type"] == "NodePort"


def test_the_schema_refuses_unknown_backend_values(chart: Path, tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump({"backend": {"enabled": True, "authentication": True}}))
    with pytest.raises(AssertionError, match="authentication"):
        tools.template(chart, "--values", str(path))


@pytest.mark.cluster
def test_the_backend_objects_are_accepted_by_the_api_server(
    cluster: Cluster, namespace: str, chart: Path, tmp_path: Path
) -> None:
    objects = [
        o
        for o in render(chart, tmp_path, {"backend": {"enabled": True}}, namespace=namespace)
        if "backend" in o["metadata"]["name"]
    ]
    accepted = dryrun.create_all(cluster.api_client, objects)
    assert sorted(a.split("/")[0] for a in accepted) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]
