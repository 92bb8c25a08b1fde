"""The generated RBAC: up to date, wildcard-free, and covering every registered provider's kinds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import yaml

import providers
from airunway_operator.api.constants import Phase
from airunway_operator.deploy import rbac
from providers.base import ProbeResult, Provider, ProviderStatus, TargetKind, UpstreamProbe

#: What the provider runtime does to every target kind (kopf watch, get, create, apply, delete).
RUNTIME_TARGET_VERBS = {"get", "list", "watch", "create", "patch", "delete"}


def allows(rules: Sequence[Mapping[str, Any]], group: str, resource: str, verb: str, name: str = "") -> bool:
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and verb in rule["verbs"]
        and (not rule.get("resourceNames") or name in rule["resourceNames"])
        for rule in rules
    )


def fake_provider() -> Provider:
    return Provider(
        name="widgets",
        display_name="Widgets",
        field_manager="widgets-provider",
        targets=(
            TargetKind("example.com/v1", "Widget", "widgets"),
            TargetKind("v1", "ConfigMap", "configmaps"),
        ),
        config=lambda version: {"metadata": {"name": "widgets"}, "spec": {}},
        check_compatibility=lambda md, engine: None,
        render=lambda md, context: [],
        primary=TargetKind("example.com/v1", "Widget", "widgets"),
        map_status=lambda md, observed: ProviderStatus(phase=Phase.PENDING),
        upstream_probe=UpstreamProbe(
            "widgets.example.com",
            "app",
            ("widget-controller",),
            lambda crd, deployments: ProbeResult(True, "", ""),
        ),
    )


def test_committed_files_are_what_the_generator_writes() -> None:
    assert rbac.main(["--check"]) == 0


def test_no_file_grants_a_wildcard() -> None:
    for path in rbac.rendered_files(providers.load_providers()):
        assert "*" not in path.read_text(), path


def test_every_registered_target_kind_gets_the_runtime_verbs() -> None:
    registered = providers.load_providers()
    rules = rbac.cluster_rules(registered)
    for provider in registered:
        for target in provider.targets:
            for verb in RUNTIME_TARGET_VERBS:
                assert allows(rules, target.group, target.plural, verb), (provider.name, target.kind, verb)


def test_the_upstream_probe_reads_its_crd_by_name_and_lists_controllers() -> None:
    rules = rbac.cluster_rules(providers.load_providers())
    crds = "customresourcedefinitions"
    assert allows(rules, "apiextensions.k8s.io", crds, "get", "workspaces.kaito.sh")
    assert not allows(rules, "apiextensions.k8s.io", crds, "get", "secrets.example.com")
    assert allows(rules, "apps", "deployments", "list")
    assert allows(rules, "apps", "deployments", "watch")


def test_a_new_provider_gets_its_rules_without_editing_a_manifest() -> None:
    before = rbac.cluster_rules(providers.REGISTRY)
    after = rbac.cluster_rules([*providers.REGISTRY, fake_provider()])
    assert not allows(before, "example.com", "widgets", "create")
    for verb in RUNTIME_TARGET_VERBS:
        assert allows(after, "example.com", "widgets", verb)
        assert allows(after, "", "configmaps", verb)
    assert allows(after, "apiextensions.k8s.io", "customresourcedefinitions", "get", "widgets.example.com")
    assert not allows(after, "example.com", "widgets", "update")


def test_our_kinds_get_only_what_the_controllers_use() -> None:
    rules = rbac.cluster_rules(providers.load_providers())
    verbs = {
        (group, resource): sorted(rule["verbs"])
        for rule in rules
        if "resourceNames" not in rule
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert verbs[("airunway.ai", "modeldeployments")] == ["list", "patch", "watch"]
    assert verbs[("airunway.ai", "modeldeployments/status")] == ["patch"]
    assert verbs[("airunway.ai", "inferenceproviderconfigs")] == [
        "create",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ]
    assert verbs[("airunway.ai", "inferenceproviderconfigs/status")] == ["patch"]
    assert verbs[("", "events")] == ["create", "patch"]
    assert ("admissionregistration.k8s.io", "validatingwebhookconfigurations") not in verbs


def test_rules_are_merged_and_ordered_whatever_the_declaration_order() -> None:
    permissions = [*rbac.OPERATOR, *rbac.provider_permissions(fake_provider())]
    rules = rbac.rules(permissions)
    assert rbac.rules(reversed(permissions)) == rules
    keys = [(r["apiGroups"][0], r["resources"], r.get("resourceNames", [])) for r in rules]
    assert keys == sorted(keys)
    assert len(keys) == len(set(map(repr, keys)))


def test_a_declared_wildcard_is_refused() -> None:
    with pytest.raises(ValueError, match="wildcard"):
        rbac.rules([rbac.Permission("apps", "*", ("get",), "everything")])
    with pytest.raises(ValueError, match="wildcard"):
        rbac.rules([rbac.Permission("apps", "deployments", ("*",), "everything")])


def test_webhook_certificate_rules_are_restricted_by_name() -> None:
    cluster = rbac.rules(rbac.WEBHOOK_CERTIFICATE_CLUSTER)
    assert cluster == [
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingwebhookconfigurations"],
            "resourceNames": ["airunway-validating-webhook-configuration"],
            "verbs": ["get", "patch"],
        }
    ]
    secrets = rbac.rules(rbac.WEBHOOK_CERTIFICATE_NAMESPACED)
    assert [r.get("resourceNames") for r in secrets if r["verbs"] != ["create"]] == [
        [rbac.WEBHOOK_CERT_SECRET]
    ]


def test_the_chart_cluster_role_is_named_after_the_release() -> None:
    files = rbac.rendered_files(providers.load_providers())
    chart = yaml.safe_load(files[rbac.CHART_FILE].split("---\n", 1)[1])
    kustomize = next(yaml.safe_load_all(files[rbac.ROLE_FILE]))
    assert chart["metadata"]["name"] == "{{ .Release.Name }}-airunway-operator"
    assert chart["rules"] == kustomize["rules"]


def test_the_kustomize_bindings_give_every_generated_role_to_the_service_account() -> None:
    folder = rbac.ROLE_FILE.parent
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    docs = [d for name in listed for d in yaml.safe_load_all((folder / name).read_text()) if d]
    (account,) = [d["metadata"] for d in docs if d["kind"] == "ServiceAccount"]
    roles = {(d["kind"], d["metadata"]["name"]) for d in docs if d["kind"] in ("Role", "ClusterRole")}
    bindings = [d for d in docs if d["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert {(b["roleRef"]["kind"], b["roleRef"]["name"]) for b in bindings} == roles
    for binding in bindings:
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account["name"], "namespace": account["namespace"]}
        ]
    assert account == {"name": rbac.SERVICE_ACCOUNT, "namespace": rbac.NAMESPACE}
