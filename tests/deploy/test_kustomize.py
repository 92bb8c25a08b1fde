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
    """The pod spec without the image, lists keyed by name in name order (patches append)."""
    pod = dict(deployment["spec"]["template"]["spec"])
    by_name = ("env", "volumeMounts")
    pod["containers"] = [
        {k: sorted(v, key=lambda e: e["name"]) if k in by_name else v for k, v in c.items() if k != "image"}
        for c in pod["containers"]
    ]
    pod["volumes"] = sorted(pod["volumes"], key=lambda v: v["name"])
    return pod


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
    assert container(ours)["image"] == f"airunway-operator:{VERSION}"
    assert _pod_spec(ours) == _pod_spec(charts)


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


def test_cert_manager_component_equals_the_charts_cert_manager_values(tmp_path: Path) -> None:
    config = tools.config_copy(tmp_path)
    default = config / "default" / "kustomization.yaml"
    # What config/default/kustomization.yaml tells a cert-manager user to do.
    default.write_text(default.read_text().replace("- ../webhook/selfmanaged", "- ../webhook/certmanager"))
    ours = tools.kustomize(config / "default")
    chart = tools.chart_copy(tmp_path)
    charts = tools.template(
        chart, "--set", "fullnameOverride=airunway-operator", "--set", "certManager.enabled=true"
    )
    assert _pod_spec(one(ours, "Deployment")) == _pod_spec(one(charts, "Deployment"))
    certificate = one(ours, "Certificate")
    assert certificate["spec"] == one(charts, "Certificate")["spec"] | {
        "issuerRef": certificate["spec"]["issuerRef"]
    }
    assert certificate["spec"]["issuerRef"]["name"] == one(ours, "Issuer")["metadata"]["name"]
    webhook = one(ours, "ValidatingWebhookConfiguration")
    assert (
        webhook["metadata"]["annotations"]
        == one(charts, "ValidatingWebhookConfiguration")["metadata"]["annotations"]
    )
    # cert-manager writes the Secret: no Secret permission is granted.
    secret_rules = [
        r for role in tools.find(ours, "Role") for r in role["rules"] if "secrets" in r["resources"]
    ]
    assert secret_rules == []
