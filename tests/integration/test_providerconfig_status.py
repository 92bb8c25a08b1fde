"""The SelectionRulesValid condition of an InferenceProviderConfig, written through the real API server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from airunway_operator.kube import providerconfigs
from airunway_operator.validation import providerconfig
from tests.conftest import Cluster
from tests.support import ignore_missing

G, V, PLURAL = constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL


@pytest.fixture
def config_name(cluster: Cluster) -> Iterator[str]:
    """A provider config without capabilities (never a selection candidate), deleted afterwards."""
    name = f"rules-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {
        "apiVersion": f"{G}/{V}",
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": name},
        "spec": {
            "selectionRules": [{"condition": "true", "priority": 1}, {"condition": "((", "priority": 5}]
        },
    }
    cluster.custom.create_cluster_custom_object(G, V, PLURAL, body)
    try:
        yield name
    finally:
        ignore_missing(cluster.custom.delete_cluster_custom_object, G, V, PLURAL, name)


def test_the_condition_is_written_to_the_status_subresource(cluster: Cluster, config_name: str) -> None:
    stored = cluster.custom.get_cluster_custom_object(G, V, PLURAL, config_name)
    wanted = providerconfig.selection_rules_conditions(stored, None, now=datetime.now(UTC))
    returned = asyncio.run(
        providerconfigs.patch_status(cluster.api_client, config_name, {"status": {"conditions": wanted}})
    )
    assert returned["status"]["conditions"] == wanted
    [condition] = cluster.custom.get_cluster_custom_object(G, V, PLURAL, config_name)["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "SelectionRulesValid",
        "False",
        "InvalidSelectionRule",
    )
    assert "spec.selectionRules[1].condition" in condition["message"]
    assert condition["observedGeneration"] == stored["metadata"]["generation"]


def test_a_status_patch_leaves_the_spec_and_other_status_fields_alone(
    cluster: Cluster, config_name: str
) -> None:
    asyncio.run(providerconfigs.patch_status(cluster.api_client, config_name, {"status": {"ready": True}}))
    asyncio.run(providerconfigs.patch_status(cluster.api_client, config_name, {"status": {"version": "x"}}))
    stored = cluster.custom.get_cluster_custom_object(G, V, PLURAL, config_name)
    assert stored["status"]["ready"] is True
    assert stored["status"]["version"] == "x"
    assert len(stored["spec"]["selectionRules"]) == 2


def test_a_missing_config_raises_not_found(cluster: Cluster) -> None:
    with pytest.raises(ApiException) as caught:
        asyncio.run(providerconfigs.patch_status(cluster.api_client, "no-such-config", {"status": {}}))
    assert caught.value.status == 404
