"""Runtime installation through helm: the commands of a provider's installation annotation run with
the caller's token, here against a chart directory on disk (nothing leaves the machine)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.backend.process import Backend
from tests.backend.tokens import grant_cluster_admin, grant_in_namespace, service_account_token
from tests.conftest import Cluster
from tests.support import ignore_missing, manifests

G, V, IPC = constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL


def chart(folder: Path) -> Path:
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: demo-runtime\nversion: 0.1.0\n")
    (folder / "templates" / "marker.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-marker\n"
        "data:\n  installed-by: helm\n"
    )
    return folder


@pytest.fixture
def runtime(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """An InferenceProviderConfig whose installation installs a local chart into a new namespace."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    target = f"{name}-system"
    commands = [
        f"helm upgrade --install {name} {chart(tmp_path / 'chart')} -n {target} --create-namespace",
        f"kubectl get configmap {name}-marker -n {target}",
    ]
    installation = {
        "description": "a runtime installed from a chart on disk",
        "steps": [{"title": f"step {i}", "command": c} for i, c in enumerate(commands)],
    }
    body: dict[str, Any] = next(
        b for _, b in manifests("config/providers") if b["metadata"]["name"] == "vllm"
    )
    body["metadata"] = {
        "name": name,
        "annotations": {constants.ANNOTATION_INSTALLATION: json.dumps(installation)},
    }
    cluster.custom.create_cluster_custom_object(G, V, IPC, body)
    yield name, target, commands
    ignore_missing(cluster.custom.delete_cluster_custom_object, G, V, IPC, name)
    ignore_missing(cluster.core.delete_namespace, target)


@pytest.fixture
def admin_token(cluster: Cluster, namespace: str) -> Iterator[str]:
    binding = grant_cluster_admin(cluster, namespace, "installer")
    yield service_account_token(cluster, namespace, "installer")
    ignore_missing(client.RbacAuthorizationV1Api(cluster.api_client).delete_cluster_role_binding, binding)


def test_helm_installs_as_the_caller(
    cluster: Cluster, runtime: tuple[str, str, list[str]], admin_token: str, secure_backend: Backend
) -> None:
    name, target, commands = runtime
    info = secure_backend.get(f"/api/installation/{name}", token=admin_token).json()
    assert info == {"provider": name, "helmAvailable": True, "commands": commands}

    answer = secure_backend.request("POST", f"/api/installation/{name}/install", token=admin_token)
    assert answer.status == 200, answer.text
    body = answer.json()
    assert body["installed"] is True, body["output"]
    assert body["commands"] == commands
    assert body["manualCommands"] == [commands[1]]  # not a helm command: left to the user
    assert f"$ helm upgrade --install {name}" in body["output"]
    assert "STATUS: deployed" in body["output"]
    marker = cluster.core.read_namespaced_config_map(f"{name}-marker", target)
    assert marker.data == {"installed-by": "helm"}
    assert admin_token not in secure_backend.output()


def test_helm_fails_for_a_caller_rbac_does_not_allow(
    cluster: Cluster, namespace: str, runtime: tuple[str, str, list[str]], secure_backend: Backend
) -> None:
    name, target, _ = runtime
    # may read the runtime's commands, nothing more
    grant_in_namespace(cluster, namespace, "reader", [])
    client.RbacAuthorizationV1Api(cluster.api_client).create_cluster_role(
        {
            "metadata": {"name": f"{namespace}-ipc-reader"},
            "rules": [{"apiGroups": [G], "resources": [IPC], "verbs": ["get", "list"]}],
        }
    )
    client.RbacAuthorizationV1Api(cluster.api_client).create_cluster_role_binding(
        {
            "metadata": {"name": f"{namespace}-ipc-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"{namespace}-ipc-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        }
    )
    try:
        token = service_account_token(cluster, namespace, "reader")
        answer = secure_backend.request("POST", f"/api/installation/{name}/install", token=token)
        assert answer.status == 200, answer.text
        body = answer.json()
        assert body["installed"] is False
        assert "forbidden" in body["output"].lower()
        assert f"system:serviceaccount:{namespace}:reader" in body["output"]
        with pytest.raises(ApiException) as caught:
            cluster.core.read_namespace(target)
        assert caught.value.status == 404
    finally:
        rbac = client.RbacAuthorizationV1Api(cluster.api_client)
        ignore_missing(rbac.delete_cluster_role_binding, f"{namespace}-ipc-reader")
        ignore_missing(rbac.delete_cluster_role, f"{namespace}-ipc-reader")
