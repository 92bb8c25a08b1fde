"""Service accounts with chosen RBAC and their tokens (TokenRequest), for the auth tests."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from tests.conftest import Cluster


def service_account_token(cluster: Cluster, namespace: str, name: str) -> str:
    cluster.core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    request = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600},
    }
    answer = cluster.core.create_namespaced_service_account_token(name, namespace, request)
    return str(answer.status.token)


def grant_in_namespace(cluster: Cluster, namespace: str, account: str, rules: list[dict[str, Any]]) -> None:
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    rbac.create_namespaced_role(namespace, {"metadata": {"name": account}, "rules": rules})
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": account},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
    )


def grant_cluster_admin(cluster: Cluster, namespace: str, account: str) -> str:
    """Bind `account` to cluster-admin; returns the binding's name (the caller deletes it)."""
    name = f"{namespace}-{account}"
    client.RbacAuthorizationV1Api(cluster.api_client).create_cluster_role_binding(
        {
            "metadata": {"name": name, "labels": {"airunway.ai/test": "true"}},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        }
    )
    return name
