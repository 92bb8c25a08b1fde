"""End to end on the local plane: the operator starts without the Gateway API Inference Extension
CRDs, runs normally, reports CRDsNotAvailable only where the gateway was asked for, and turns the
integration on when the CRDs are installed while it runs (no restart).

The test removes the Inference Extension CRDs from this plane and installs them again at the end,
whatever happens, so other tests on the plane keep their CRDs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.controlplane import install
from tests.operator_process import Operator
from tests.support import get_or_none, ignore_missing, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
GAIE = install.THIRDPARTY_CRDS / "gateway-api-inference-extension"
GAIE_CRDS = (
    "inferencepools.inference.networking.k8s.io",
    "inferenceobjectives.inference.networking.x-k8s.io",
    "inferencemodelrewrites.inference.networking.x-k8s.io",
)


@pytest.fixture
def without_inference_extension(cluster: Cluster) -> Iterator[None]:
    api = client.ApiextensionsV1Api(cluster.api_client)
    for name in GAIE_CRDS:
        ignore_missing(api.delete_custom_resource_definition, name)

    def gone() -> bool:
        return all(get_or_none(api.read_custom_resource_definition, name) is None for name in GAIE_CRDS)

    wait_for(gone, 60, "the Inference Extension CRDs to be gone")
    try:
        yield
    finally:
        install.install(cluster.kubeconfig, install.crd_files(GAIE))


@pytest.fixture
def gateway(cluster: Cluster) -> Iterator[tuple[str, str]]:
    namespace = f"gw-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespace({"metadata": {"name": namespace, "labels": {"airunway.ai/test": "true"}}})
    body = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw"},
        "spec": {"gatewayClassName": "test", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    }
    cluster.custom.create_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", namespace, "gateways", body
    )
    yield "gw", namespace
    ignore_missing(cluster.core.delete_namespace, namespace)


def gateway_ready(cluster: Cluster, namespace: str, name: str) -> tuple[str, str] | None:
    body: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    for condition in (body.get("status") or {}).get("conditions") or ():
        if condition["type"] == "GatewayReady":
            return condition["status"], condition["reason"]
    return None


def phase(cluster: Cluster, namespace: str, name: str) -> str | None:
    body: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return (body.get("status") or {}).get("phase")


def test_absent_crds_then_installed_while_running(
    cluster: Cluster,
    namespace: str,
    without_inference_extension: None,
    gateway: tuple[str, str],
    tmp_path: Path,
) -> None:
    name, gateway_namespace = gateway
    env = {"AIRUNWAY_GATEWAY_NAME": name, "AIRUNWAY_GATEWAY_NAMESPACE": gateway_namespace}
    scope = ("--namespace", namespace, "--namespace", gateway_namespace)
    op = Operator(
        cluster.kubeconfig, tmp_path / "op.log", "--providers", "vllm", "--no-webhook", *scope, env=env
    )
    try:
        op.wait_healthy()
        asked = vllm_md("asked")
        asked["spec"]["gateway"] = {"enabled": True}
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, asked)
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("plain"))
        wait_for(lambda: phase(cluster, namespace, "plain") == "Running", 90, "the plain one to run")
        wait_for(
            lambda: gateway_ready(cluster, namespace, "asked") == ("False", "CRDsNotAvailable"),
            90,
            "CRDsNotAvailable where the gateway was asked for",
        )
        assert gateway_ready(cluster, namespace, "plain") is None
        assert "Gateway API Inference Extension not available" in op.output()

        install.install(cluster.kubeconfig, install.crd_files(GAIE))

        def routed() -> bool:
            configured = ("True", "GatewayConfigured")
            return all(gateway_ready(cluster, namespace, md) == configured for md in ("asked", "plain"))

        wait_for(routed, 90, "both to be routed once the CRDs are installed")
        pool = cluster.custom.get_namespaced_custom_object(
            "inference.networking.k8s.io", "v1", namespace, "inferencepools", "plain"
        )
        assert pool["spec"]["selector"]["matchLabels"] == {"airunway.ai/model-deployment": "plain"}
        assert "Gateway API Inference Extension detected" in op.output()
        for md in ("asked", "plain"):
            cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, md)
        wait_for(
            lambda: not cluster.custom.list_namespaced_custom_object(G, V, namespace, MD)["items"],
            90,
            "the ModelDeployments to be deleted",
        )
    finally:
        op.kill()
