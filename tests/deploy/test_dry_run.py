"""`kubectl kustomize config/default` and the chart's default `helm template` are accepted by the API
server of the local plane (server-side dry run: validated and admitted, nothing stored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airunway_operator.admission import configuration
from tests.conftest import Cluster
from tests.deploy import dryrun, tools

pytestmark = pytest.mark.cluster


def test_kustomize_default_is_accepted(cluster: Cluster, namespace: str, tmp_path: Path) -> None:
    tools.config_copy(tmp_path)
    # An overlay moves everything into the test's namespace: a dry run cannot create airunway-system
    # for the namespaced objects that follow it.
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"namespace: {namespace}\nresources:\n- ../config/default\n"
    )
    objects = tools.kustomize(overlay)
    webhook = tools.one(objects, "ValidatingWebhookConfiguration")
    assert {w["clientConfig"]["service"]["namespace"] for w in webhook["webhooks"]} == {namespace}
    accepted = dryrun.create_all(cluster.api_client, objects)
    assert len(accepted) == len(objects)
    for kind in ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Deployment"):
        assert any(a.startswith(f"{kind}/") for a in accepted)
    assert f"ValidatingWebhookConfiguration/{configuration.NAME}" in accepted
    assert "Deployment/airunway-operator" in accepted


def test_helm_default_values_are_accepted(cluster: Cluster, namespace: str, tmp_path: Path) -> None:
    chart = tools.chart_copy(tmp_path)
    objects = tools.template(chart, "--include-crds", namespace=namespace)
    accepted = dryrun.create_all(cluster.api_client, objects)
    assert len(accepted) == len(objects)
    kinds = {a.split("/")[0] for a in accepted}
    assert kinds >= {
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Service",
        "Deployment",
        "ValidatingWebhookConfiguration",
    }


def test_helm_split_ha_with_network_policy_is_accepted(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    chart = tools.chart_copy(tmp_path)
    values = (
        *("--set", "split.enabled=true", "--set", "replicas=2", "--set", "networkPolicy.enabled=true"),
        # The registry credentials Secret's volume and mount, and the image settings, too.
        *("--set", "imageRegistrySecret=pull-secret", "--set", "imageMirror=registry.example.com/hub"),
    )
    objects = tools.template(chart, *values, namespace=namespace)
    accepted = dryrun.create_all(cluster.api_client, objects)
    assert len(accepted) == len(objects)
    assert sum(a.startswith("Deployment/") for a in accepted) == 3
    assert sum(a.startswith("PodDisruptionBudget/") for a in accepted) == 3
    assert any(a.startswith("NetworkPolicy/") for a in accepted)
