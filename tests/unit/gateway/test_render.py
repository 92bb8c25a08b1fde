"""Rendering: the pool, the route, the Endpoint Picker stack, Istio and ReferenceGrant objects, and
the clean-up set. Each object is owned by the ModelDeployment (the grant by the provider's pool)."""

from __future__ import annotations

import pytest

from airunway_operator.api.providerconfig import EndpointPickerCapabilities, GatewayCapabilities
from airunway_operator.gateway import epp, render
from airunway_operator.gateway.capabilities import PoolLocation
from airunway_operator.gateway.gateways import GatewayRef
from tests.unit.gateway.builders import md

OWNER = {
    "apiVersion": "airunway.ai/v1alpha1",
    "kind": "ModelDeployment",
    "name": "m",
    "uid": "uid-1",
    "controller": True,
    "blockOwnerDeletion": True,
}


def test_pool_selects_the_model_pods_and_points_at_the_picker() -> None:
    pool = render.render_pool(md(), 8000, 9002)
    assert pool["apiVersion"] == "inference.networking.k8s.io/v1"
    assert pool["metadata"]["name"] == "m"
    assert pool["metadata"]["namespace"] == "ns"
    assert pool["metadata"]["ownerReferences"] == [OWNER]
    assert pool["spec"] == {
        "selector": {"matchLabels": {"airunway.ai/model-deployment": "m"}},
        "targetPorts": [{"number": 8000}],
        "endpointPickerRef": {"name": "m-epp", "port": {"number": 9002}},
    }


def test_route_matches_the_model_header_and_forwards_to_the_pool() -> None:
    route = render.render_route(
        md(), GatewayRef("gw", "infra", "infra"), PoolLocation("pool", "pools"), "chat"
    )
    assert route["spec"] == {
        "parentRefs": [{"name": "gw", "namespace": "infra"}],
        "rules": [
            {
                "matches": [
                    {
                        "path": {"type": "PathPrefix", "value": "/"},
                        "headers": [{"type": "Exact", "name": "X-Gateway-Model-Name", "value": "chat"}],
                    }
                ],
                "backendRefs": [
                    {
                        "group": "inference.networking.k8s.io",
                        "kind": "InferencePool",
                        "name": "pool",
                        "namespace": "pools",
                    }
                ],
                "timeouts": {"request": "300s"},
            }
        ],
    }
    assert route["metadata"]["ownerReferences"] == [OWNER]


def test_epp_stack_is_six_owned_objects_in_creation_order() -> None:
    stack = epp.render_stack(md(), None, image="epp:1", port=9002)
    assert [m["kind"] for m in stack] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Deployment",
        "Service",
    ]
    assert {m["metadata"]["name"] for m in stack} == {"m-epp"}
    assert all(m["metadata"]["ownerReferences"] == [OWNER] for m in stack)
    config_map, deployment, service = stack[3], stack[4], stack[5]
    assert config_map["data"]["default-plugins.yaml"] == epp.DEFAULT_CONFIG
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "epp:1"
    assert container["args"][:4] == ["--pool-name", "m", "--pool-namespace", "ns"]
    assert "--tracing=false" in container["args"]
    assert container["readinessProbe"]["grpc"] == {"port": 9003, "service": "inference-extension"}
    assert pod["terminationGracePeriodSeconds"] == 130
    assert pod["serviceAccountName"] == "m-epp"
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    labels = {
        "app.kubernetes.io/name": "m-epp",
        "app.kubernetes.io/instance": "m",
        "app.kubernetes.io/managed-by": "airunway",
    }
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert service["spec"]["selector"] == labels
    assert service["spec"]["ports"] == [
        {"name": "grpc-ext-proc", "protocol": "TCP", "port": 9002, "appProtocol": "kubernetes.io/h2c"}
    ]
    # the picker's pods must never be selected by the model pool
    assert "airunway.ai/model-deployment" not in deployment["spec"]["template"]["metadata"]["labels"]


def test_provider_picker_image_and_config_win() -> None:
    caps = GatewayCapabilities(
        endpoint_picker=EndpointPickerCapabilities(image="custom:2", config_data="kind: X\n")
    )
    stack = epp.render_stack(md(), caps, image="epp:1", port=9100)
    assert stack[3]["data"]["default-plugins.yaml"] == "kind: X\n"
    container = stack[4]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "custom:2"
    assert container["ports"][0]["containerPort"] == 9100


def test_rendering_is_deterministic() -> None:
    assert epp.render_stack(md(), None, image="e", port=1) == epp.render_stack(md(), None, image="e", port=1)


def test_destination_rule_skips_verification_of_the_picker_certificate() -> None:
    rule = render.render_destination_rule(md(), "m-epp", "ns")
    assert rule["apiVersion"] == "networking.istio.io/v1beta1"
    assert rule["spec"] == {
        "host": "m-epp.ns.svc.cluster.local",
        "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}},
    }


def test_reference_grant_lets_routes_of_the_md_namespace_reach_the_pool() -> None:
    pool = {"metadata": {"name": "pool", "namespace": "pools", "uid": "pool-uid"}}
    grant = render.render_reference_grant(md(), pool)
    assert grant["metadata"]["name"] == "pool-referencegrant"
    assert grant["metadata"]["namespace"] == "pools"
    assert grant["metadata"]["ownerReferences"][0]["uid"] == "pool-uid"
    assert grant["spec"] == {
        "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "ns"}],
        "to": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "pool"}],
    }


@pytest.mark.parametrize(
    ("deployment", "manages", "istio", "expected"),
    [
        pytest.param(
            md(),
            False,
            False,
            [
                "InferencePool m",
                "HTTPRoute m",
                "Deployment m-epp",
                "Service m-epp",
                "ConfigMap m-epp",
                "RoleBinding m-epp",
                "Role m-epp",
                "ServiceAccount m-epp",
            ],
            id="controller-managed pool: pool, route and picker",
        ),
        pytest.param(md(), True, True, ["HTTPRoute m"], id="provider-managed pool: only the route"),
        pytest.param(
            md(gateway={"httpRouteRef": "mine"}),
            True,
            False,
            [],
            id="a user route and a provider pool: nothing",
        ),
        pytest.param(
            md(gateway={"httpRouteRef": "mine"}),
            False,
            True,
            [
                "InferencePool m",
                "Deployment m-epp",
                "Service m-epp",
                "ConfigMap m-epp",
                "RoleBinding m-epp",
                "Role m-epp",
                "ServiceAccount m-epp",
                "DestinationRule m-epp",
            ],
            id="with Istio the picker's DestinationRule too",
        ),
    ],
)
def test_cleanup_targets(deployment: object, manages: bool, istio: bool, expected: list[str]) -> None:
    targets = render.cleanup_targets(deployment, manages_pool=manages, istio=istio)  # type: ignore[arg-type]
    assert [f"{t.kind.kind} {t.name}" for t in targets] == expected
