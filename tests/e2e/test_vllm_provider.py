"""End to end on the local control plane: a Direct vLLM ModelDeployment becomes Running on kwok GPU
nodes, scales, has a hand edit reverted, survives a restart with zero writes, and is deleted with its
children."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import get_or_none, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("vllm") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def md_body(name: str, replicas: int = 1) -> dict[str, Any]:
    return vllm_md(name, replicas=replicas)


def get(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return result


def running_with(cluster: Cluster, namespace: str, name: str, ready: int) -> dict[str, Any] | None:
    status = get(cluster, namespace, name).get("status") or {}
    replicas = status.get("replicas") or {}
    if status.get("phase") == "Running" and replicas.get("ready") == ready:
        return status
    return None


def test_vllm_deployment_lifecycle(
    cluster: Cluster, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md_body("qwen"))
    status = wait_for(lambda: running_with(cluster, namespace, "qwen", 1), 90, "the ModelDeployment to run")
    assert status["endpoint"] == {"service": "qwen", "port": 8000}
    assert status["provider"]["resourceKind"] == "Deployment"
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["Ready"] == ("True", "DeploymentReady")
    assert conditions["ProviderCompatible"] == ("True", "CompatibilityVerified")
    assert conditions["ResourceCreated"] == ("True", "ResourceCreated")
    deployment = cluster.apps.read_namespaced_deployment("qwen", namespace)
    limits = deployment.spec.template.spec.containers[0].resources.limits
    assert limits["nvidia.com/gpu"] == "1"
    assert deployment.metadata.owner_references[0].kind == "ModelDeployment"
    assert cluster.core.read_namespaced_service("qwen", namespace).spec.ports[0].port == 8000
    # the log says what was created, naming the object (kopf's plain format drops `extra`)
    assert f"Created Deployment {namespace}/qwen for ModelDeployment qwen" in operator.output()
    assert f"Created Service {namespace}/qwen for ModelDeployment qwen" in operator.output()

    # scale through the ModelDeployment
    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "qwen", {"spec": {"scaling": {"replicas": 3}}}
    )
    wait_for(lambda: running_with(cluster, namespace, "qwen", 3), 90, "three ready replicas")

    # a hand edit of the Deployment is reverted
    cluster.apps.patch_namespaced_deployment("qwen", namespace, {"spec": {"replicas": 1}})
    wait_for(
        lambda: cluster.apps.read_namespaced_deployment("qwen", namespace).spec.replicas == 3,
        30,
        "the drift to be corrected",
    )
    assert f"Updated Deployment {namespace}/qwen for ModelDeployment qwen" in operator.output()

    # a restarted operator changes nothing that is already correct
    wait_for(lambda: running_with(cluster, namespace, "qwen", 3), 90, "steady state")
    assert operator.stop() == 0, operator.output()
    before = versions(cluster, namespace)
    second = Operator(cluster.kubeconfig, tmp_path / "second.log", "--providers", "vllm", "--no-webhook")
    try:
        second.wait_healthy()
        wait_for(
            lambda: "Observed ModelDeployment event" in second.output(), 30, "the second operator to list"
        )
        assert versions(cluster, namespace) == before

        # deletion removes the ModelDeployment and, through owner references, its children
        cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "qwen")
        wait_for(
            lambda: all_gone(cluster, namespace), 90, "the ModelDeployment and its children to be deleted"
        )
        log = second.output()
        assert f"Deleting Deployment {namespace}/qwen of ModelDeployment qwen" in log
        assert f"Released finalizer airunway.ai/vllm-provider of ModelDeployment {namespace}/qwen" in log
        assert f"Released finalizers airunway.ai/core of ModelDeployment {namespace}/qwen" in log
    finally:
        second.kill()


def versions(cluster: Cluster, namespace: str) -> tuple[str, int, list[Any]]:
    """What a write of ours would change: the ModelDeployment's version, and the Deployment's
    generation and our field manager's entries (its status moves with kube-controller-manager)."""
    md = get(cluster, namespace, "qwen")["metadata"]["resourceVersion"]
    meta = cluster.apps.read_namespaced_deployment("qwen", namespace).metadata
    ours = [f.to_dict() for f in meta.managed_fields or () if f.manager == "vllm-provider"]
    return md, meta.generation, ours


def all_gone(cluster: Cluster, namespace: str) -> bool:
    return (
        all_gone_named(cluster, namespace, "qwen")
        and not cluster.apps.list_namespaced_deployment(namespace).items
        and not cluster.core.list_namespaced_service(namespace).items
    )


def test_managed_volume_gets_an_owned_claim(cluster: Cluster, namespace: str, tmp_path: Path) -> None:
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--providers", "vllm", "--no-webhook")
    try:
        op.wait_healthy()
        body = md_body("cached")
        body["spec"]["model"]["storage"] = {
            # A compilation cache: a model cache would first wait for the download Job (see
            # tests/e2e/test_storage_pipeline.py for that path).
            "volumes": [{"name": "weights", "purpose": "compilationCache", "size": "50Gi"}]
        }
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)

        def claim() -> Any:
            try:
                return cluster.core.read_namespaced_persistent_volume_claim("cached-weights", namespace)
            except ApiException as err:
                if err.status == 404:
                    return None
                raise

        pvc = wait_for(claim, 60, "the managed PersistentVolumeClaim")
        assert pvc.spec.resources.requests["storage"] == "50Gi"
        assert pvc.spec.access_modes == ["ReadWriteMany"]
        assert pvc.metadata.owner_references[0].name == "cached"
        # Our own claim counts as ready while Pending (it binds on first use): the Deployment follows.
        deployment = wait_for(
            lambda: get_or_none(cluster.apps.read_namespaced_deployment, "cached", namespace),
            60,
            "the Deployment",
        )
        mounts = deployment.spec.template.spec.containers[0].volume_mounts
        assert {m.mount_path for m in mounts} >= {"/compilation-cache"}
    finally:
        op.kill()


def test_pause_stops_updates_but_never_blocks_deletion(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--providers", "vllm", "--no-webhook")
    try:
        op.wait_healthy()
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md_body("paused"))
        wait_for(lambda: running_with(cluster, namespace, "paused", 1), 90, "the ModelDeployment to run")
        pause = {"metadata": {"annotations": {constants.ANNOTATION_RECONCILE_PAUSED: "true"}}}
        cluster.custom.patch_namespaced_custom_object(G, V, namespace, MD, "paused", pause)
        cluster.custom.patch_namespaced_custom_object(
            G, V, namespace, MD, "paused", {"spec": {"scaling": {"replicas": 2}}}
        )
        # For three seconds the operator has every chance to act on the change; it must not.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            assert cluster.apps.read_namespaced_deployment("paused", namespace).spec.replicas == 1
            time.sleep(0.2)
        cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "paused")
        wait_for(
            lambda: all_gone_named(cluster, namespace, "paused"), 90, "a paused ModelDeployment to be deleted"
        )
    finally:
        op.kill()


def all_gone_named(cluster: Cluster, namespace: str, name: str) -> bool:
    try:
        get(cluster, namespace, name)
    except ApiException as err:
        if err.status != 404:
            raise
        return True
    return False


def test_split_processes_core_and_provider_serve_together(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    core = Operator(cluster.kubeconfig, tmp_path / "core.log", "--providers", "none", "--no-webhook")
    provider = Operator(
        cluster.kubeconfig, tmp_path / "vllm.log", "--providers", "vllm", "--no-core", "--no-webhook"
    )
    try:
        core.wait_healthy()
        provider.wait_healthy()
        body = md_body("split")
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
        status = wait_for(
            lambda: running_with(cluster, namespace, "split", 1), 90, "Running across two processes"
        )
        assert status["provider"]["name"] == "vllm"
        # Two processes add their finalizers concurrently: one of them may meet a 409 and retry.
        wait_for(
            lambda: (
                {"airunway.ai/core", "airunway.ai/vllm-provider"}
                <= set(get(cluster, namespace, "split")["metadata"].get("finalizers") or ())
            ),
            10,
            "both finalizers",
        )
        cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "split")
        wait_for(lambda: all_gone_named(cluster, namespace, "split"), 90, "deletion across two processes")
    finally:
        core.kill()
        provider.kill()
