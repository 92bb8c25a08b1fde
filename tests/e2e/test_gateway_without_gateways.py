"""End to end on the local plane: the integration is on (Gateway API and Inference Extension CRDs
installed) but no Gateway exists. The Gateway index answers without reads: a ModelDeployment that
did not ask for the gateway reports `GatewayReady=False/NoGateway` in the same write that says
Running, without a Warning Event; one that asked gets the Event too; a Gateway created later is
seen through the watch and turns routing on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import get_or_none, recorded_versions, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
GW_GROUP, GW_VERSION = "gateway.networking.k8s.io", "v1"


def _gateways(cluster: Cluster) -> list[dict[str, Any]]:
    return list(cluster.custom.list_cluster_custom_object(GW_GROUP, GW_VERSION, "gateways")["items"])


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    # Gateways of earlier test modules go with their namespaces; this module needs none at all.
    wait_for(lambda: not _gateways(cluster) or None, 120, "no Gateway left in the cluster")
    log = tmp_path_factory.mktemp("no-gateway") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def _gateway_ready(body: dict[str, Any]) -> tuple[str, str] | None:
    for c in (body.get("status") or {}).get("conditions") or ():
        if c["type"] == "GatewayReady":
            return c["status"], c["reason"]
    return None


def _md(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return dict(cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name))


def _reason(cluster: Cluster, namespace: str, name: str) -> tuple[str, str] | None:
    return _gateway_ready(_md(cluster, namespace, name))


def _warnings(cluster: Cluster, namespace: str, name: str) -> list[str]:
    events = cluster.core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}")
    return [e.reason for e in events.items if e.type == "Warning"]


def test_deleting_a_model_deployment_without_any_gateway_warns_of_nothing(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("gone"))
    wait_for(lambda: _reason(cluster, namespace, "gone") == ("False", "NoGateway") or None, 90, "NoGateway")
    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "gone")
    wait_for(
        lambda: get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, "gone") is None,
        60,
        "the ModelDeployment to go",
    )
    # Without a Gateway there are no allowedRoutes of ours to release: nothing to warn about.
    assert "allowedRoutes not cleaned up" not in operator.output()


def test_no_gateway_is_reported_with_running_and_a_later_gateway_is_used(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    with recorded_versions(cluster.custom, namespace) as seen:
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("plain"))
        asked = vllm_md("asked")
        asked["spec"]["gateway"] = {"enabled": True}
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, asked)
        wait_for(
            lambda: (
                all(_reason(cluster, namespace, n) == ("False", "NoGateway") for n in ("plain", "asked"))
                or None
            ),
            90,
            "GatewayReady=False/NoGateway on both",
        )
    plain = [v for v in seen if v["metadata"]["name"] == "plain"]
    first_running = next(v for v in plain if (v.get("status") or {}).get("phase") == "Running")
    assert _gateway_ready(first_running) == ("False", "NoGateway")
    assert "NoGateway" not in _warnings(cluster, namespace, "plain")
    wait_for(lambda: "NoGateway" in _warnings(cluster, namespace, "asked") or None, 30, "the asked-for Event")

    gateway_namespace = f"gw-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespace({"metadata": {"name": gateway_namespace}})
    try:
        gateway = {
            "apiVersion": f"{GW_GROUP}/{GW_VERSION}",
            "kind": "Gateway",
            "metadata": {"name": "late"},
            "spec": {
                "gatewayClassName": "test",
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
        }
        cluster.custom.create_namespaced_custom_object(
            GW_GROUP, GW_VERSION, gateway_namespace, "gateways", gateway
        )
        wait_for(
            lambda: (
                all(
                    (_reason(cluster, namespace, n) or ("", ""))[1] != "NoGateway" for n in ("plain", "asked")
                )
                or None
            ),
            90,
            "the new Gateway used by both",
        )
        route = cluster.custom.get_namespaced_custom_object(
            GW_GROUP, GW_VERSION, namespace, "httproutes", "plain"
        )
        assert route["spec"]["parentRefs"][0]["name"] == "late"
    finally:
        cluster.core.delete_namespace(gateway_namespace)
