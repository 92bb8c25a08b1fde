"""The Gateway index: newest body wins, a stale DELETED keeps a re-created Gateway, and listing
follows the API server's order, which the choice among labelled Gateways depends on."""

from __future__ import annotations

from typing import Any

from airunway_operator.gateway import gateways
from airunway_operator.reconcile.gateway_index import GatewayIndex


def gateway(namespace: str, name: str, version: str, labelled: bool = False) -> dict[str, Any]:
    labels = {"airunway.ai/inference-gateway": "true"} if labelled else {}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"namespace": namespace, "name": name, "resourceVersion": version, "labels": labels},
    }


def test_priming_marks_the_index_complete_and_keeps_newer_event_bodies() -> None:
    index = GatewayIndex()
    assert not index.primed
    index.store(gateway("a", "gw", "9", labelled=True))
    index.prime([gateway("a", "gw", "5"), gateway("b", "other", "6")])
    assert index.primed
    assert index.get("a", "gw") == gateway("a", "gw", "9", labelled=True)
    assert [g["metadata"]["name"] for g in index.listed()] == ["gw", "other"]


def test_listing_is_in_namespace_then_name_order_so_the_choice_is_stable() -> None:
    index = GatewayIndex()
    index.prime(
        [
            gateway("z", "last", "1", labelled=True),
            gateway("a", "second", "2", labelled=True),
            gateway("a", "first", "3", labelled=True),
        ]
    )
    chosen, ambiguous = gateways.choose(index.listed())
    assert (chosen.namespace, chosen.name, ambiguous) == ("a", "first", True)


def test_deleted_and_reset() -> None:
    index = GatewayIndex()
    index.prime([gateway("a", "gw", "4")])
    index.deleted(gateway("a", "gw", "3"))  # older than what we hold: a re-created Gateway stays
    assert index.get("a", "gw") is not None
    index.deleted(gateway("a", "gw", "4"))
    assert index.listed() == []
    index.reset()
    assert not index.primed
