"""End to end on the local control plane: llm-d ModelDeployments become Running on kwok GPU nodes.

Aggregated: Deployment and Service `<md>`, applied by `llmd-provider`, pods on the fake GPU nodes,
Running with replicas and the endpoint `<md>:8000`. Disaggregated: Deployments and Services
`<md>-decode` and `<md>-prefill`; status reads both Deployments (Running only when both pools are
available, replicas summed, endpoint the decode Service); deletion removes everything, the
prefill Deployment included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import MODEL_ID, get_or_none, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
KV_CONSUMER = '{"kv_connector":"PyNcclConnector","kv_role":"kv_consumer"}'
KV_PRODUCER = '{"kv_connector":"PyNcclConnector","kv_role":"kv_producer"}'
UNSCHEDULABLE_GPUS = 16
"""More GPUs than any kwok node has (8), so such a pool never gets a pod scheduled."""


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("llmd") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "llmd", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def disaggregated_md(name: str, prefill_gpus: int) -> dict[str, Any]:
    return {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {
            "model": {"id": MODEL_ID},
            "engine": {"type": "vllm"},
            "provider": {"name": "llmd"},
            "serving": {"mode": "disaggregated"},
            "scaling": {
                "prefill": {"replicas": 1, "gpu": {"count": prefill_gpus}},
                "decode": {"replicas": 2, "gpu": {"count": 2}},
            },
        },
    }


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return body.get("status") or {}


def running_with(cluster: Cluster, namespace: str, name: str, ready: int) -> dict[str, Any] | None:
    status = status_of(cluster, namespace, name)
    if status.get("phase") == "Running" and (status.get("replicas") or {}).get("ready") == ready:
        return status
    return None


def container_args(cluster: Cluster, namespace: str, name: str) -> list[str]:
    deployment = cluster.apps.read_namespaced_deployment(name, namespace)
    return list(deployment.spec.template.spec.containers[0].args)


def pods_on_gpu_nodes(cluster: Cluster, namespace: str, app: str, count: int) -> bool:
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
    running = [p for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp]
    return len(running) == count and all((p.spec.node_name or "").startswith("kwok-gpu-") for p in running)


def md_gone(cluster: Cluster, namespace: str, name: str) -> bool:
    return get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, name) is None


def nothing_left(cluster: Cluster, namespace: str, name: str) -> bool:
    return (
        md_gone(cluster, namespace, name)
        and not cluster.apps.list_namespaced_deployment(namespace).items
        and not cluster.core.list_namespaced_service(namespace).items
    )


def test_aggregated_deployment_runs_and_is_deleted(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    cluster.custom.create_namespaced_custom_object(
        G, V, namespace, MD, vllm_md("qwen", provider="llmd", replicas=2)
    )
    status = wait_for(lambda: running_with(cluster, namespace, "qwen", 2), 90, "the ModelDeployment to run")
    assert status["endpoint"] == {"service": "qwen", "port": 8000}
    assert status["replicas"] == {"desired": 2, "ready": 2, "available": 2}
    assert (status["provider"]["name"], status["provider"]["resourceName"]) == ("llmd", "qwen")
    assert status["provider"]["resourceKind"] == "Deployment"
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["Ready"] == ("True", "DeploymentReady")
    assert conditions["ProviderCompatible"] == ("True", "CompatibilityVerified")
    assert conditions["ResourceCreated"] == ("True", "ResourceCreated")

    deployment = cluster.apps.read_namespaced_deployment("qwen", namespace)
    assert deployment.metadata.owner_references[0].kind == "ModelDeployment"
    assert {f.manager for f in deployment.metadata.managed_fields} >= {"llmd-provider"}
    [container] = deployment.spec.template.spec.containers
    assert container.image == "vllm/vllm-openai:v0.9.1"
    assert container.args == ["--model", MODEL_ID, "--enable-prefix-caching"]
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    service = cluster.core.read_namespaced_service("qwen", namespace)
    assert (service.spec.ports[0].name, service.spec.ports[0].port) == ("http", 8000)
    assert service.spec.selector == {"airunway.ai/deployment": "qwen", "app": "qwen"}
    assert pods_on_gpu_nodes(cluster, namespace, "qwen", 2)

    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "qwen")
    wait_for(
        lambda: nothing_left(cluster, namespace, "qwen"), 90, "the ModelDeployment and its children to go"
    )
    log = operator.output()
    assert f"Deleting Deployment {namespace}/qwen of ModelDeployment qwen" in log
    assert f"Released finalizer airunway.ai/llmd-provider of ModelDeployment {namespace}/qwen" in log


def test_disaggregated_status_reads_both_pools(cluster: Cluster, namespace: str, operator: Operator) -> None:
    # The prefill pool asks for more GPUs than a node has: its pod never runs.
    cluster.custom.create_namespaced_custom_object(
        G, V, namespace, MD, disaggregated_md("split", UNSCHEDULABLE_GPUS)
    )

    def decode_counted() -> dict[str, Any] | None:
        status = status_of(cluster, namespace, "split")
        return status if (status.get("replicas") or {}).get("ready") == 2 else None

    wait_for(lambda: pods_on_gpu_nodes(cluster, namespace, "split-decode", 2), 90, "the decode pods to run")
    status = wait_for(decode_counted, 90, "the decode pool's ready replicas in status")
    # Upstream reads only the decode Deployment and would say Running here.
    assert status["phase"] == "Deploying", status
    assert status["replicas"]["desired"] == 3
    assert status["endpoint"] == {"service": "split-decode", "port": 8000}
    assert status["provider"]["resourceName"] == "split-decode"

    names = {"split-decode", "split-prefill"}
    assert {d.metadata.name for d in cluster.apps.list_namespaced_deployment(namespace).items} == names
    assert {s.metadata.name for s in cluster.core.list_namespaced_service(namespace).items} == names
    assert container_args(cluster, namespace, "split-decode")[-4:] == [
        "--tensor-parallel-size", "2", "--kv-transfer-config", KV_CONSUMER,
    ]  # fmt: skip
    assert container_args(cluster, namespace, "split-prefill")[-4:] == [
        "--tensor-parallel-size", str(UNSCHEDULABLE_GPUS), "--kv-transfer-config", KV_PRODUCER,
    ]  # fmt: skip

    # A schedulable prefill pool: both pools available, so Running with the replicas summed.
    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "split", {"spec": {"scaling": {"prefill": {"gpu": {"count": 1}}}}}
    )
    status = wait_for(lambda: running_with(cluster, namespace, "split", 3), 90, "both pools to run")
    assert status["replicas"] == {"desired": 3, "ready": 3, "available": 3}
    assert status["endpoint"] == {"service": "split-decode", "port": 8000}
    assert pods_on_gpu_nodes(cluster, namespace, "split-prefill", 1)
    assert "--tensor-parallel-size" not in container_args(cluster, namespace, "split-prefill")

    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "split")
    wait_for(
        lambda: nothing_left(cluster, namespace, "split"),
        90,
        "the ModelDeployment and all four objects to go",
    )
    log = operator.output()
    assert f"Deleting Deployment {namespace}/split-decode of ModelDeployment split" in log
    assert f"Deleting Deployment {namespace}/split-prefill of ModelDeployment split" in log
