"""Which Gateway is used, its endpoint, the allowedRoutes edits and the Gateway's verdict on a route."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.gateway import gateways
from airunway_operator.gateway.gateways import GatewayRef, NoGatewayError
from tests.unit.gateway.builders import gateway


def test_configured_gateway_needs_name_and_namespace() -> None:
    assert gateways.configured("gw", "infra") == GatewayRef("gw", "infra", "infra", configured=True)
    assert gateways.configured("", "") is None


def test_the_only_gateway_is_used_whatever_its_labels() -> None:
    chosen, ambiguous = gateways.choose([gateway("gw", "infra")])
    assert chosen == GatewayRef("gw", "infra", "infra")
    assert not ambiguous


def test_among_several_the_labelled_one_is_used_with_its_bbr_namespace() -> None:
    listed = [
        gateway("a", "x"),
        gateway("b", "y", labelled=True, annotations={"airunway.ai/bbr-namespace": "bbr"}),
    ]
    chosen, ambiguous = gateways.choose(listed)
    assert chosen == GatewayRef("b", "y", "bbr")
    assert not ambiguous


def test_several_labelled_gateways_pick_the_first_and_say_so() -> None:
    chosen, ambiguous = gateways.choose([gateway("a", "x", labelled=True), gateway("b", "y", labelled=True)])
    assert chosen.name == "a"
    assert ambiguous


@pytest.mark.parametrize(
    ("listed", "message"),
    [
        pytest.param([], "no Gateway resources found in cluster", id="no Gateway at all"),
        pytest.param(
            [gateway("a", "x"), gateway("b", "y")],
            "multiple Gateways found but none labeled airunway.ai/inference-gateway=true",
            id="several Gateways and none labelled",
        ),
    ],
)
def test_no_gateway(listed: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(NoGatewayError, match=message):
        gateways.choose(listed)


def test_endpoint_is_the_first_non_empty_address() -> None:
    body = {"status": {"addresses": [{"type": "Hostname", "value": ""}, {"value": "10.1.2.3"}]}}
    assert gateways.endpoint(body) == "10.1.2.3"
    assert gateways.endpoint(None) == ""


def selector(*values: str) -> dict[str, Any]:
    return {
        "from": "Selector",
        "selector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(values)}
            ]
        },
    }


def test_admitting_a_namespace_writes_a_selector_with_the_gateway_namespace_on_every_listener() -> None:
    body = gateway("gw", "infra", listeners=[{"name": "a"}, {"name": "b", "allowedRoutes": {"kinds": []}}])
    listeners = gateways.admit(body, "team")
    assert listeners is not None
    assert [item["allowedRoutes"]["namespaces"] for item in listeners] == [selector("infra", "team")] * 2
    assert listeners[1]["allowedRoutes"]["kinds"] == []


def test_admitting_an_admitted_namespace_changes_nothing() -> None:
    body = gateway(
        "gw", "infra", listeners=[{"name": "a", "allowedRoutes": {"namespaces": selector("infra", "team")}}]
    )
    assert gateways.admit(body, "team") is None


def test_a_legacy_match_labels_selector_is_read() -> None:
    legacy = {"from": "Selector", "selector": {"matchLabels": {"kubernetes.io/metadata.name": "old"}}}
    body = gateway("gw", "infra", listeners=[{"name": "a", "allowedRoutes": {"namespaces": legacy}}])
    listeners = gateways.admit(body, "team")
    assert listeners is not None
    assert listeners[0]["allowedRoutes"]["namespaces"] == selector("infra", "old", "team")


def test_releasing_the_last_namespace_goes_back_to_same() -> None:
    body = gateway(
        "gw", "infra", listeners=[{"name": "a", "allowedRoutes": {"namespaces": selector("infra", "team")}}]
    )
    listeners = gateways.release(body, "team")
    assert listeners == [{"name": "a", "allowedRoutes": {"namespaces": {"from": "Same"}}}]
    assert gateways.release(body, "other") is None


def test_releasing_one_of_two_namespaces_keeps_the_other() -> None:
    body = gateway(
        "gw", "infra", listeners=[{"name": "a", "allowedRoutes": {"namespaces": selector("a", "b", "infra")}}]
    )
    listeners = gateways.release(body, "a")
    assert listeners is not None
    assert listeners[0]["allowedRoutes"]["namespaces"] == selector("b", "infra")


def route_status(accepted: str, reason: str, namespace: str | None = "infra") -> dict[str, Any]:
    ref: dict[str, Any] = {"name": "gw"}
    if namespace:
        ref["namespace"] = namespace
    condition = {"type": "Accepted", "status": accepted, "reason": reason, "message": "why"}
    return {
        "metadata": {"namespace": "team"},
        "status": {"parents": [{"parentRef": ref, "conditions": [condition]}]},
    }


def test_a_refused_route_carries_the_gateways_reason() -> None:
    refusal = gateways.route_refusal(
        route_status("False", "NotAllowedByListeners"), GatewayRef("gw", "infra", "infra")
    )
    assert refusal == gateways.Refusal("NotAllowedByListeners", "why")


def test_an_accepted_route_or_another_gateways_verdict_is_no_refusal() -> None:
    ours = GatewayRef("gw", "infra", "infra")
    assert gateways.route_refusal(route_status("True", "Accepted"), ours) is None
    assert gateways.route_refusal(route_status("False", "NotAllowedByListeners", "elsewhere"), ours) is None
    assert gateways.route_refusal(None, ours) is None
