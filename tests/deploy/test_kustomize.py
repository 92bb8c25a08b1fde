"""The kustomize bases (`config/default`) render what the Helm chart renders with default values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.admission import configuration
from airunway_operator.version import VERSION
from tests.deploy import tools
from tests.deploy.tools import Objects, container, one


@pytest.fixture(scope="module")
def kustomized(tmp_path_factory: pytest.TempPathFactory) -> Objects:
    config = tools.config_copy(tmp_path_factory.mktemp("config"))
    return tools.kustomize(config / "default")


@pytest.fixture(scope="module")
def helm_default(tmp_path_factory: pytest.TempPathFactory) -> Objects:
    chart = tools.chart_copy(tmp_path_factory.mktemp("chart"))
    # The chart's base name for the kustomize one: everything else is the chart's default.
    return tools.template(chart, "--include-crds", "--set", "fullnameOverride=airunway-operator")


def _pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"])


def test_everything_lands_in_airunway_system(kustomized: Objects) -> None:
    namespaces = {o["metadata"].get("namespace") for o in kustomized if "namespace" in o["metadata"]}
    assert namespaces == {"airunway-system"}
    assert tools.one(kustomized, "Namespace")["metadata"]["name"] == "airunway-system"


def test_the_operator_deployment_equals_the_charts_default(
    kustomized: Objects, helm_default: Objects
) -> None:
    ours = one(kustomized, "Deployment", "airunway-operator")
    charts = one(helm_default, "Deployment", "airunway-operator")
    assert ours["spec"]["replicas"] == charts["spec"]["replicas"]
    ours_pod, charts_pod = _pod_spec(ours), _pod_spec(charts)
    assert container(ours)["image"] == f"airunway-operator:{VERSION}"
    for pod in (ours_pod, charts_pod):
        pod["containers"] = [{k: v for k, v in c.items() if k != "image"} for c in pod["containers"]]
    assert ours_pod == charts_pod


def test_crds_are_the_charts_crds(kustomized: Objects, helm_default: Objects) -> None:
    ours = {o["metadata"]["name"]: o for o in tools.find(kustomized, "CustomResourceDefinition")}
    charts = {o["metadata"]["name"]: o for o in tools.find(helm_default, "CustomResourceDefinition")}
    assert ours == charts
    assert set(ours) == {"modeldeployments.airunway.ai", "inferenceproviderconfigs.airunway.ai"}


def test_webhook_configuration_and_service_equal_the_charts(
    kustomized: Objects, helm_default: Objects
) -> None:
    ours = one(kustomized, "ValidatingWebhookConfiguration", configuration.NAME)
    charts = one(helm_default, "ValidatingWebhookConfiguration", configuration.NAME)
    assert ours["webhooks"] == charts["webhooks"]
    assert ours["webhooks"] == yaml.safe_load(configuration.MANIFEST.read_text())["webhooks"]
    # No cert-manager by default: the operator keeps the caBundle itself.
    assert "annotations" not in ours["metadata"]
    assert "annotations" not in charts["metadata"]
    service = one(kustomized, "Service", configuration.SERVICE_NAME)
    assert (
        service["spec"]["ports"] == one(helm_default, "Service", configuration.SERVICE_NAME)["spec"]["ports"]
    )
    labels = one(kustomized, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_bindings_name_the_deployments_service_account(kustomized: Objects) -> None:
    account = one(kustomized, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"]
    one(kustomized, "ServiceAccount", account)
    for binding in [*tools.find(kustomized, "ClusterRoleBinding"), *tools.find(kustomized, "RoleBinding")]:
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": "airunway-system"}
        ]
        kind = binding["roleRef"]["kind"]
        one(kustomized, kind, binding["roleRef"]["name"])


def test_prometheus_monitor_selects_the_metrics_service(tmp_path: Path) -> None:
    config = tools.config_copy(tmp_path)
    monitor = one(tools.kustomize(config / "prometheus"), "ServiceMonitor")
    service = one(tools.kustomize(config / "manager"), "Service", "airunway-operator-metrics")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
