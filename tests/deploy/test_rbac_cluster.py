"""The generated RBAC is enough and no more: the Helm chart's RBAC is installed into the local plane,
and an operator holding only a token of the chart's ServiceAccount runs the vLLM flow without a
single refusal, and the account's permission
list is exactly the reviewed table below (a widened permission fails this test)."""

from __future__ import annotations

import json
import re
import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.controlplane import plane
from tests.deploy import tools
from tests.operator_process import Operator
from tests.support import get_or_none, ignore_missing, vllm_md, wait_for

pytestmark = pytest.mark.cluster

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


@dataclass(frozen=True)
class Account:
    namespace: str
    name: str
    kubeconfig: Path


def _kubeconfig(cluster: Cluster, token: str, path: Path) -> Path:
    plane = yaml.safe_load(cluster.kubeconfig.read_text())
    server = plane["clusters"][0]["cluster"]
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "airunway-rbac",
                "cluster": {
                    "server": server["server"],
                    "certificate-authority-data": server["certificate-authority-data"],
                },
            }
        ],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [{"name": "airunway-rbac", "context": {"cluster": "airunway-rbac", "user": "operator"}}],
        "current-context": "airunway-rbac",
    }
    path.write_text(yaml.safe_dump(kubeconfig))
    return path


_RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")


@contextmanager
def generated_account(cluster: Cluster, namespace: str, directory: Path) -> Iterator[Account]:
    """The RBAC of the Helm chart (its generated ClusterRole, bindings, Roles and ServiceAccount),
    installed with `namespace` as the release namespace; cluster-scoped names get a unique suffix.
    The rest of the chart (Deployment, webhook) is not installed: the operator runs out of cluster
    with a token of the chart's ServiceAccount."""
    rbac_api = client.RbacAuthorizationV1Api(cluster.api_client)
    suffix = uuid.uuid4().hex[:8]
    objects = [
        o
        for o in tools.template(tools.chart_copy(directory), namespace=namespace)
        if o["kind"] in _RBAC_KINDS
    ]
    account = tools.one(objects, "ServiceAccount")["metadata"]["name"]
    created: list[tuple[str, str]] = []
    try:
        for doc in sorted(objects, key=lambda o: _RBAC_KINDS.index(o["kind"])):
            kind, meta = doc["kind"], doc["metadata"]
            if kind == "ServiceAccount":
                cluster.core.create_namespaced_service_account(namespace, doc)
            elif kind == "ClusterRole":
                meta["name"] = f"{meta['name']}-{suffix}"
                rbac_api.create_cluster_role(doc)
            elif kind == "ClusterRoleBinding":
                meta["name"] = f"{meta['name']}-{suffix}"
                doc["roleRef"]["name"] = f"{doc['roleRef']['name']}-{suffix}"
                rbac_api.create_cluster_role_binding(doc)
            elif kind == "Role":
                rbac_api.create_namespaced_role(namespace, doc)
            else:
                rbac_api.create_namespaced_role_binding(namespace, doc)
            if kind.startswith("Cluster"):
                created.append((kind, meta["name"]))
        token = cluster.core.create_namespaced_service_account_token(
            account, namespace, {"spec": {"expirationSeconds": 3600}}
        ).status.token
        yield Account(namespace, account, _kubeconfig(cluster, token, directory / "operator.kubeconfig"))
    finally:
        for kind, name in reversed(created):
            delete = (
                rbac_api.delete_cluster_role_binding
                if kind == "ClusterRoleBinding"
                else rbac_api.delete_cluster_role
            )
            ignore_missing(delete, name)


def api_client(account: Account) -> client.ApiClient:
    return config.new_client_from_config(str(account.kubeconfig))


@contextmanager
def metrics_scraper(cluster: Cluster, namespace: str) -> Iterator[str]:
    """The token of a ServiceAccount allowed to get /metrics (as a Prometheus would be)."""
    rbac_api = client.RbacAuthorizationV1Api(cluster.api_client)
    name = f"airunway-rbac-scraper-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespaced_service_account(namespace, {"metadata": {"name": "scraper"}})
    try:
        rbac_api.create_cluster_role(
            {"metadata": {"name": name}, "rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}
        )
        rbac_api.create_cluster_role_binding(
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": "scraper", "namespace": namespace}],
            }
        )
        yield cluster.core.create_namespaced_service_account_token(
            "scraper", namespace, {"spec": {"expirationSeconds": 3600}}
        ).status.token
    finally:
        ignore_missing(rbac_api.delete_cluster_role_binding, name)
        ignore_missing(rbac_api.delete_cluster_role, name)


def scrape(port: int, token: str) -> tuple[int, str]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the operator's self-signed metrics certificate
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def lease_holder(cluster: Cluster, namespace: str) -> str | None:
    try:
        lease = client.CoordinationV1Api(cluster.api_client).read_namespaced_lease(
            "airunway-operator-leader", namespace
        )
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    holder: str | None = lease.spec.holder_identity
    return holder


#: How a refused request shows in the operator log: the HTTP line, the client's exception, kopf's.
REFUSED = re.compile(r'HTTP/1\.1" 403 |\(403\)|Forbidden')
#: A request into another test's namespace: the operator runs cluster-wide on the shared plane, and a
#: namespace being deleted refuses new Events with 403 whatever RBAC says (the audit check covers RBAC).
OTHER_NAMESPACE = re.compile(r"/namespaces/(t-[0-9a-f]+)/")


def refused_lines(log: str, namespace: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if REFUSED.search(line)
        and not ((m := OTHER_NAMESPACE.search(line)) is not None and m.group(1) != namespace)
    ]


def rbac_denials(account: Account) -> list[str]:
    """Requests of the account the API server's authorizer did not allow, from its audit log."""
    user = f'"username":"system:serviceaccount:{account.namespace}:{account.name}"'
    denied = []
    for path in sorted(plane.default_layout().logs.glob("audit*.log")):
        with path.open(errors="replace") as lines:
            for line in lines:
                if user not in line:
                    continue
                entry = json.loads(line)
                if entry.get("annotations", {}).get("authorization.k8s.io/decision") != "allow":
                    denied.append(f"{entry['verb']} {entry['requestURI']}")
    return denied


def _running_with(cluster: Cluster, namespace: str, name: str, ready: int) -> bool:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    status = body.get("status") or {}
    return status.get("phase") == "Running" and (status.get("replicas") or {}).get("ready") == ready


def _gone(cluster: Cluster, namespace: str, name: str) -> bool:
    if get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, name) is not None:
        return False
    return (
        not cluster.apps.list_namespaced_deployment(namespace).items
        and not cluster.core.list_namespaced_service(namespace).items
    )


def test_operator_with_only_the_generated_rbac_runs_the_vllm_flow(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    with generated_account(cluster, namespace, tmp_path) as account:
        # Leader election (its Lease in the account's namespace) and secure metrics are on, so
        # their Roles are exercised too.
        env = {
            "AIRUNWAY_LEADER_ELECT": "true",
            "AIRUNWAY_LEADER_ELECTION_NAMESPACE": namespace,
            "AIRUNWAY_METRICS_SECURE": "true",
        }
        op = Operator(account.kubeconfig, tmp_path / "operator.log", "--no-webhook", env=env)
        try:
            op.wait_healthy()
            wait_for(lambda: lease_holder(cluster, namespace), 30, "the operator to take the leader Lease")
            cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("qwen"))
            wait_for(lambda: _running_with(cluster, namespace, "qwen", 1), 90, "the ModelDeployment to run")
            cluster.custom.patch_namespaced_custom_object(
                G, V, namespace, MD, "qwen", {"spec": {"scaling": {"replicas": 2}}}
            )
            wait_for(lambda: _running_with(cluster, namespace, "qwen", 2), 90, "two ready replicas")
            with metrics_scraper(cluster, namespace) as token:
                status, text = scrape(op.metrics_port, token)
            assert status == 200, text
            assert "airunway_" in text
            cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "qwen")
            wait_for(
                lambda: _gone(cluster, namespace, "qwen"), 90, "the ModelDeployment and its children to go"
            )
        finally:
            op.kill()
        assert rbac_denials(account) == []
    log = op.output()
    assert f"Created Deployment {namespace}/qwen for ModelDeployment qwen" in log
    refused = refused_lines(log, namespace)
    assert not refused, "\n".join(refused)


#: The operator ServiceAccount's permissions (cluster-wide plus the namespaced Roles). Changing the
#: generated RBAC means changing this table in the same review.
REVIEWED: dict[str, str] = {
    "configmaps": "create delete get patch",
    "customresourcedefinitions.apiextensions.k8s.io": "list watch",
    "customresourcedefinitions.apiextensions.k8s.io/destinationrules.networking.istio.io": "get",
    "customresourcedefinitions.apiextensions.k8s.io/dynamographdeployments.nvidia.com": "get",
    "customresourcedefinitions.apiextensions.k8s.io/gateways.gateway.networking.k8s.io": "get",
    "customresourcedefinitions.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io": "get",
    "customresourcedefinitions.apiextensions.k8s.io/inferencepools.inference.networking.k8s.io": "get",
    "customresourcedefinitions.apiextensions.k8s.io/rayservices.ray.io": "get",
    "customresourcedefinitions.apiextensions.k8s.io/referencegrants.gateway.networking.k8s.io": "get",
    "customresourcedefinitions.apiextensions.k8s.io/workspaces.kaito.sh": "get",
    "deployments.apps": "create delete get list patch watch",
    "destinationrules.networking.istio.io": "create delete get patch",
    "dynamographdeployments.nvidia.com": "create delete get list patch update watch",
    "events": "create patch",
    "gateways.gateway.networking.k8s.io": "get list patch watch",
    "httproutes.gateway.networking.k8s.io": "create delete get list patch watch",
    "inferencemodelrewrites.inference.networking.x-k8s.io": "get list watch",
    "inferenceobjectives.inference.networking.x-k8s.io": "get list watch",
    "inferencepools.inference.networking.k8s.io": "create delete get list patch watch",
    "inferenceproviderconfigs.airunway.ai": "create get list patch update watch",
    "inferenceproviderconfigs/status.airunway.ai": "patch",
    "jobs.batch": "create delete get list watch",
    "leases.coordination.k8s.io": "create get update",
    "modeldeployments.airunway.ai": "list patch watch",
    "modeldeployments/finalizers.airunway.ai": "update",
    "modeldeployments/status.airunway.ai": "patch",
    "persistentvolumeclaims": "create delete get list watch",
    "pods": "get list patch watch",
    "rayservices.ray.io": "create delete get list patch update watch",
    "referencegrants.gateway.networking.k8s.io": "create get patch",
    "rolebindings.rbac.authorization.k8s.io": "create delete get patch",
    "roles.rbac.authorization.k8s.io": "create delete get patch",
    "secrets": "create",
    "secrets/airunway-webhook-cert": "get update",
    "serviceaccounts": "create delete get patch",
    "services": "create delete get list patch watch",
    "subjectaccessreviews.authorization.k8s.io": "create",
    "tokenreviews.authentication.k8s.io": "create",
    "validatingwebhookconfigurations.admissionregistration.k8s.io/"
    "airunway-validating-webhook-configuration": "get patch",
    "workspaces.kaito.sh": "create delete get list patch watch",
}

#: What every authenticated user holds through the built-in roles system:basic-user,
#: system:discovery, system:public-info-viewer and system:service-account-issuer-discovery.
AUTHENTICATED_DEFAULTS: dict[str, str] = {
    "/.well-known/openid-configuration": "get",
    "/.well-known/openid-configuration/": "get",
    "/api": "get",
    "/api/*": "get",
    "/apis": "get",
    "/apis/*": "get",
    "/healthz": "get",
    "/livez": "get",
    "/openapi": "get",
    "/openapi/*": "get",
    "/openid/v1/jwks": "get",
    "/openid/v1/jwks/": "get",
    "/readyz": "get",
    "/version": "get",
    "/version/": "get",
    "selfsubjectaccessreviews.authorization.k8s.io": "create",
    "selfsubjectreviews.authentication.k8s.io": "create",
    "selfsubjectrulesreviews.authorization.k8s.io": "create",
}


def _permission_list(api: client.ApiClient, namespace: str) -> dict[str, str]:
    """The SelfSubjectRulesReview of the caller in `namespace`: "resource.group[/name]" (or a
    non-resource URL) → its verbs, space-separated and sorted."""
    review = client.AuthorizationV1Api(api).create_self_subject_rules_review(
        {"spec": {"namespace": namespace}}
    )
    verbs: dict[str, set[str]] = {}
    for rule in review.status.resource_rules:
        for group in rule.api_groups:
            for resource in rule.resources:
                for name in rule.resource_names or [""]:
                    key = f"{resource}.{group}" if group else resource
                    verbs.setdefault(f"{key}/{name}" if name else key, set()).update(rule.verbs)
    for rule in review.status.non_resource_rules:
        for url in rule.non_resource_urls:
            verbs.setdefault(url, set()).update(rule.verbs)
    return {key: " ".join(sorted(value)) for key, value in sorted(verbs.items())}


def test_service_account_permission_list_is_exactly_the_reviewed_one(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    with generated_account(cluster, namespace, tmp_path) as account, api_client(account) as api:
        assert _permission_list(api, namespace) == {**REVIEWED, **AUTHENTICATED_DEFAULTS}

        # ...and a request outside it is refused, and found by the audit check the flow test uses.
        with pytest.raises(ApiException) as refused:
            client.CoreV1Api(api).list_namespaced_secret("kube-system")
        assert refused.value.status == 403
        wait_for(
            lambda: "list /api/v1/namespaces/kube-system/secrets" in rbac_denials(account),
            10,
            "the refusal in the audit log",
        )
