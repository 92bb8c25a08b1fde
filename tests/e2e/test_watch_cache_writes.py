"""End to end on the local control plane: the provider reads its targets from the watch cache and
the core and the provider share their writes, without losing what a read used to catch.

- a new ModelDeployment gets both finalizers in one write, and its first status already carries
  the provider's result (no separate write of the selection alone);
- a foreign object with the target's name (absent from the watch cache: no managed-by label) is
  still reported as a conflict, and left alone;
- a target deleted behind our back is re-created from the watch event alone;
- deleting a namespace is not fought: its refusal to create is not retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import get_or_none, recorded_versions, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
CORE_FINALIZER = "airunway.ai/core"
VLLM_FINALIZER = "airunway.ai/vllm-provider"


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("watch-cache") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def _status(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return dict(body.get("status") or {})


def test_new_object_writes_finalizers_once_and_status_with_the_providers_result(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    with recorded_versions(cluster.custom, namespace) as seen:
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("once"))
        wait_for(
            lambda: _status(cluster, namespace, "once").get("phase") == "Running" or None,
            90,
            "the ModelDeployment to run",
        )
    versions = list({v["metadata"]["resourceVersion"]: v for v in seen}.values())
    with_finalizers = [v for v in versions if v["metadata"].get("finalizers")]
    assert set(with_finalizers[0]["metadata"]["finalizers"]) == {CORE_FINALIZER, VLLM_FINALIZER}
    with_provider = [v for v in versions if ((v.get("status") or {}).get("provider") or {}).get("name")]
    first = with_provider[0]["status"]
    assert first["provider"]["resourceName"] == "once"
    assert first["phase"] in ("Deploying", "Running")
    types = {c["type"] for c in first["conditions"]}
    assert {"Validated", "EngineSelected", "ProviderSelected", "ResourceCreated", "Ready"} <= types


def test_an_auto_selected_engine_reaches_the_providers_first_pass(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    """The core decides the engine in the same pass the provider continues: the provider must
    render with that decision, which the body it was handed does not carry yet."""
    auto = vllm_md("auto")
    del auto["spec"]["engine"]
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, auto)
    status = wait_for(
        lambda: (lambda s: s if s.get("phase") == "Running" else None)(_status(cluster, namespace, "auto")),
        90,
        "the ModelDeployment without an engine to run",
    )
    assert status["engine"]["type"] == "vllm"
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["EngineSelected"]["reason"] == "AutoSelected"
    assert conditions["ProviderCompatible"]["status"] == "True"


def test_foreign_object_with_the_target_name_is_reported_and_left_alone(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    foreign = client.V1Service(
        metadata=client.V1ObjectMeta(name="taken"),
        spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)], selector={"app": "other"}),
    )
    cluster.core.create_namespaced_service(namespace, foreign)
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("taken"))

    def conflict() -> dict[str, Any] | None:
        for c in _status(cluster, namespace, "taken").get("conditions") or ():
            if c["type"] == "ResourceCreated" and c["reason"] == "ResourceConflict":
                return dict(c)
        return None

    condition = wait_for(conflict, 60, "the conflict to be reported")
    assert "Service taken exists but is not managed by this ModelDeployment" in condition["message"]
    service = cluster.core.read_namespaced_service("taken", namespace)
    assert service.spec.selector == {"app": "other"}
    assert not service.metadata.owner_references


def test_target_deleted_behind_our_back_is_recreated(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("again"))
    before = wait_for(
        lambda: get_or_none(cluster.core.read_namespaced_service, "again", namespace), 60, "the Service"
    )
    cluster.core.delete_namespaced_service("again", namespace)
    after = wait_for(
        lambda: (
            s
            if (s := get_or_none(cluster.core.read_namespaced_service, "again", namespace)) is not None
            and s.metadata.uid != before.metadata.uid
            else None
        ),
        60,
        "the Service to be re-created",
    )
    assert after.metadata.owner_references[0].name == "again"


def test_deleting_the_namespace_does_not_fight_its_termination(cluster: Cluster, operator: Operator) -> None:
    namespace = f"t-gone-{uuid.uuid4().hex[:6]}"
    cluster.core.create_namespace({"metadata": {"name": namespace, "labels": {"airunway.ai/test": "true"}}})
    for i in range(3):
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md(f"m{i}"))
    wait_for(
        lambda: all(_status(cluster, namespace, f"m{i}").get("phase") == "Running" for i in range(3)) or None,
        90,
        "the ModelDeployments to run",
    )
    cluster.core.delete_namespace(namespace)
    wait_for(
        lambda: get_or_none(cluster.core.read_namespace, namespace) is None or None,
        120,
        "the namespace to be gone",
    )
    # Deployments deleted by the namespace controller are not re-created against its refusal.
    assert f"namespace {namespace} because it is being terminated" not in operator.output()
