"""The Helm chart: `helm lint`, and `helm template` with several value sets, parsed and checked."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.admission import configuration
from airunway_operator.deploy import chartcrds
from airunway_operator.version import VERSION
from tests.controlplane import binaries
from tests.deploy import tools
from tests.deploy.tools import Objects, container, env, find, one

NAMESPACE = "airunway-system"
BASE = "r-airunway-operator"


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tools.chart_copy(tmp_path_factory.mktemp("chart"))


def render(chart: Path, tmp_path: Path, values: dict[str, Any] | None = None) -> Objects:
    if values is None:
        return tools.template(chart)
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return tools.template(chart, "--values", str(path))


def test_lint_passes_for_every_value_set(chart: Path, tmp_path: Path) -> None:
    tools.run(tools.helm(), "lint", chart, "--strict")
    for values in VALUE_SETS.values():
        path = tmp_path / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        tools.run(tools.helm(), "lint", chart, "--strict", "--values", str(path))


VALUE_SETS: dict[str, dict[str, Any]] = {
    "split": {"split": {"enabled": True, "providers": ["vllm", "kaito"]}},
    "certManager": {"certManager": {"enabled": True}},
    "ha": {"replicas": 3},
    "namespaces": {"watchNamespaces": ["team-a", "team-b"], "log": {"level": "debug", "format": "json"}},
    "networkPolicy": {"networkPolicy": {"enabled": True}},
    "serviceMonitor": {"metrics": {"serviceMonitor": {"enabled": True}, "secure": True}},
}


def test_default_values_render_the_all_in_one_operator(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path)
    assert sorted(o["kind"] for o in objects) == sorted(
        [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Service",
            "Service",
            "Deployment",
            "ValidatingWebhookConfiguration",
        ]
    )
    deployment = one(objects, "Deployment", BASE)
    assert deployment["metadata"]["namespace"] == NAMESPACE
    assert deployment["spec"]["replicas"] == 1
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == BASE
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    c = container(deployment)
    assert c["image"] == f"airunway-operator:{VERSION}"
    assert c["args"] == ["run", "--providers", "all"]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {
        "healthz": 8081,
        "metrics": 8080,
        "webhook": 9443,
    }
    variables = env(deployment)
    for host in ("AIRUNWAY_HEALTH_HOST", "AIRUNWAY_METRICS_HOST", "AIRUNWAY_WEBHOOK_HOST"):
        assert variables[host] == "0.0.0.0"
    assert variables["AIRUNWAY_HEARTBEAT_SECONDS"] == "60"
    assert variables["AIRUNWAY_FINALIZER_TIMEOUT_SECONDS"] == "300"
    assert variables["AIRUNWAY_LOG_FORMAT"] == "plain"
    assert variables["AIRUNWAY_LEADER_ELECT"] == "true"
    # Without cert-manager the operator keeps its certificate Secret itself.
    assert variables["AIRUNWAY_WEBHOOK_CERT_MODE"] == "managed"
    assert variables["AIRUNWAY_WEBHOOK_SECRET"] == "airunway-webhook-cert"
    assert "AIRUNWAY_WEBHOOK_CERT_DIR" not in variables
    assert not find(objects, "PodDisruptionBudget")
    assert "affinity" not in pod


def test_rbac_binds_the_generated_cluster_role_and_a_namespaced_lease_role(
    chart: Path, tmp_path: Path
) -> None:
    objects = render(chart, tmp_path)
    cluster_role = one(objects, "ClusterRole")
    binding = one(objects, "ClusterRoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": cluster_role["metadata"]["name"],
    }
    subject = {"kind": "ServiceAccount", "name": BASE, "namespace": NAMESPACE}
    assert binding["subjects"] == [subject]
    role = one(objects, "Role")
    assert role["metadata"]["namespace"] == NAMESPACE
    leases = [r for r in role["rules"] if r["apiGroups"] == ["coordination.k8s.io"]]
    assert leases == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]}
    ]
    secrets = [r for r in role["rules"] if r["resources"] == ["secrets"]]
    assert {tuple(r.get("resourceNames", ())): tuple(r["verbs"]) for r in secrets} == {
        (): ("create",),
        ("airunway-webhook-cert",): ("get", "update"),
    }
    for rule in role["rules"]:
        assert "*" not in rule["verbs"]
        assert "*" not in rule["resources"]
    role_binding = one(objects, "RoleBinding")
    assert role_binding["roleRef"]["name"] == role["metadata"]["name"]
    assert role_binding["subjects"] == [subject]


def test_webhook_configuration_matches_the_generated_manifest(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path)
    rendered = one(objects, "ValidatingWebhookConfiguration")
    generated = yaml.safe_load(configuration.MANIFEST.read_text())
    assert rendered["webhooks"] == generated["webhooks"]
    assert rendered["metadata"]["name"] == generated["metadata"]["name"]
    assert "annotations" not in rendered["metadata"]
    policies = {w["name"]: w["failurePolicy"] for w in rendered["webhooks"]}
    assert policies == {
        configuration.MODELDEPLOYMENT_WEBHOOK: "Fail",
        configuration.PROVIDERCONFIG_WEBHOOK: "Ignore",
    }
    service = one(objects, "Service", configuration.SERVICE_NAME)
    assert service["spec"]["ports"] == [
        {"name": "webhook", "port": 443, "targetPort": "webhook", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "operator"


def test_split_runs_the_core_and_each_provider_separately(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, VALUE_SETS["split"])
    deployments = {d["metadata"]["name"]: container(d)["args"] for d in find(objects, "Deployment")}
    assert deployments == {
        f"{BASE}-core": ["run", "--providers", "none"],
        f"{BASE}-vllm": ["run", "--no-core", "--providers", "vllm", "--no-webhook"],
        f"{BASE}-kaito": ["run", "--no-core", "--providers", "kaito", "--no-webhook"],
    }
    ids = {env(d)["AIRUNWAY_LEADER_ELECTION_ID"] for d in find(objects, "Deployment")}
    assert len(ids) == 3, "each Deployment elects its own leader"
    service = one(objects, "Service", configuration.SERVICE_NAME)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "core"


def test_cert_manager_mounts_its_secret_and_injects_the_ca(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, VALUE_SETS["certManager"])
    webhook = one(objects, "ValidatingWebhookConfiguration")
    certificate = one(objects, "Certificate")
    issuer = one(objects, "Issuer")
    assert webhook["metadata"]["annotations"] == {
        "cert-manager.io/inject-ca-from": f"{NAMESPACE}/{certificate['metadata']['name']}"
    }
    assert certificate["spec"]["secretName"] == "airunway-webhook-cert"
    assert certificate["spec"]["issuerRef"] == {"kind": "Issuer", "name": issuer["metadata"]["name"]}
    assert f"{configuration.SERVICE_NAME}.{NAMESPACE}.svc" in certificate["spec"]["dnsNames"]
    deployment = one(objects, "Deployment")
    variables = env(deployment)
    assert "AIRUNWAY_WEBHOOK_CERT_MODE" not in variables
    mount = next(m for m in container(deployment)["volumeMounts"] if m["name"] == "webhook-cert")
    assert variables["AIRUNWAY_WEBHOOK_CERT_DIR"] == mount["mountPath"]
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "webhook-cert")
    assert volume["secret"]["secretName"] == "airunway-webhook-cert"
    assert not [r for r in one(objects, "Role")["rules"] if r["resources"] == ["secrets"]]


def test_replicas_get_a_disruption_budget(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, VALUE_SETS["ha"])
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert env(deployment)["AIRUNWAY_LEADER_ELECT"] == "true"
    pdb = one(objects, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    [term] = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert (
        term["podAffinityTerm"]["labelSelector"]["matchLabels"]
        == deployment["spec"]["selector"]["matchLabels"]
    )


def test_watched_namespaces_and_log_settings_become_arguments(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, VALUE_SETS["namespaces"])
    deployment = one(objects, "Deployment")
    assert container(deployment)["args"] == [
        "run",
        "--providers",
        "all",
        "--namespace",
        "team-a",
        "--namespace",
        "team-b",
        "--debug",
    ]
    assert env(deployment)["AIRUNWAY_LOG_FORMAT"] == "json"


def test_network_policy_admits_webhook_probe_and_metrics(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, VALUE_SETS["networkPolicy"])
    policy = one(objects, "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    ports = sorted(p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"])
    assert ports == [8080, 8081, 9443]
    labels = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()


def test_service_monitor_scrapes_the_metrics_service(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, VALUE_SETS["serviceMonitor"])
    monitor = one(objects, "ServiceMonitor")
    service = one(objects, "Service", f"{BASE}-metrics")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"] == "https"
    assert endpoint["scheme"] == "https"
    assert env(one(objects, "Deployment"))["AIRUNWAY_METRICS_SECURE"] == "true"


def test_image_digest_wins_over_the_tag(chart: Path, tmp_path: Path) -> None:
    digest = "sha256:" + "a" * 64
    objects = render(
        chart, tmp_path, {"image": {"repository": "example.com/op", "tag": "1.2.3", "digest": digest}}
    )
    assert container(one(objects, "Deployment"))["image"] == f"example.com/op@{digest}"


def test_chart_and_kustomize_crds_are_the_generated_crds() -> None:
    sources = sorted(chartcrds.SOURCE.glob("*.yaml"))
    assert sources
    for folder in (chartcrds.CHART_CRDS, chartcrds.KUSTOMIZE_CRDS):
        assert sorted(p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml") == [
            p.name for p in sources
        ]
        for source in sources:
            assert (folder / source.name).read_bytes() == source.read_bytes(), (
                f"{folder / source.name} is stale"
            )
    assert chartcrds.main(["--check"]) == 0


def test_chart_version_is_the_operator_version() -> None:
    chart = yaml.safe_load((tools.CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == VERSION


def test_provider_list_becomes_one_argument(chart: Path, tmp_path: Path) -> None:
    objects = render(chart, tmp_path, {"providers": ["vllm", "kaito"]})
    assert container(one(objects, "Deployment"))["args"] == ["run", "--providers", "vllm,kaito"]


@pytest.mark.parametrize(
    "values",
    [
        {"log": {"level": "loud"}},
        {"log": {"format": "xml"}},
        {"providers": "some"},
        {"extraEnv": {"PATH": "/x"}},
        {"image": {"repository": "x", "digest": "latest"}},
    ],
)
def test_values_schema_refuses_nonsense(chart: Path, tmp_path: Path, values: dict[str, Any]) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    done = subprocess.run(
        [str(tools.helm()), "template", "r", str(chart), "--values", str(path)],
        capture_output=True,
        text=True,
        timeout=tools.TIMEOUT,
        check=False,
    )
    assert done.returncode != 0
    assert "values don't meet the specifications of the schema" in done.stderr


def test_build_script_reuses_the_cached_helm() -> None:
    helm = tools.helm()
    out = tools.run(tools.REPO / "tests" / "controlplane" / "build.sh", "helm")
    assert out.strip() == f"helm {binaries.versions()['HELM']}: cached in {helm.parent}"
    assert tools.run(helm, "version", "--short").startswith(binaries.versions()["HELM"])
