"""End to end on the local control plane: the shared storage pipeline (SPEC-core §5, D4) in front of
Direct vLLM.

A managed model cache gets an owned claim; a pre-existing claim that is still Pending holds the
deployment back (`StorageReady=False PVCsPending`, nothing rendered); once the PV controller binds
it, `StorageReady=True PVCsBound` and the download Job `<md>-model-download` is created; kwok runs
the Job's pod to completion once its claim is bound, the Job controller marks the Job Complete,
`ModelDownloaded=True DownloadComplete` and only then the Deployment appears. Deleting the
ModelDeployment removes the Job and the managed claim and keeps the pre-existing one. A missing
pre-existing claim fails with upstream's message; a read-only model cache downloads nothing;
someone's claim under the managed name is left alone (Failed) and a foreign download Job replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from airunway_operator.api import constants
from tests import operator_process
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import MODEL_ID, get_or_none, ignore_missing, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
DOWNLOADER = "ghcr.io/ai-runway/airunway/model-downloader:latest"
OUR_LABELS = {"airunway.ai/managed-by": "airunway", "airunway.ai/model-deployment": "cached"}


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("storage") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()
    found = operator_process.tracebacks(op.output())
    assert not found, "operator logged tracebacks:\n" + "\n\n".join(found)


@pytest.fixture
def volumes(cluster: Cluster) -> Iterator[list[str]]:
    """Names of the PersistentVolumes a test creates (cluster-scoped: deleted afterwards)."""
    names: list[str] = []
    yield names
    for name in names:
        ignore_missing(cluster.core.delete_persistent_volume, name)


def create_claim(cluster: Cluster, namespace: str, name: str) -> None:
    """A claim with no storage class: it stays Pending until a PersistentVolume is bound to it."""
    cluster.core.create_namespaced_persistent_volume_claim(
        namespace,
        {
            "metadata": {"name": name},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )


def bind(cluster: Cluster, volumes: list[str], namespace: str, claim: str) -> None:
    """A hostPath PersistentVolume reserved for `claim`: the PV controller binds the two."""
    name = f"{namespace}-{claim}"
    cluster.core.create_persistent_volume(
        {
            "metadata": {"name": name},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "hostPath": {"path": f"/tmp/{name}"},
                "claimRef": {"namespace": namespace, "name": claim},
            },
        }
    )
    volumes.append(name)


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return body.get("status") or {}


def condition(cluster: Cluster, namespace: str, name: str, type_: str) -> tuple[str, str, str] | None:
    for item in status_of(cluster, namespace, name).get("conditions") or ():
        if item["type"] == type_:
            return item["status"], item["reason"], item["message"]
    return None


def reaches(
    cluster: Cluster, namespace: str, name: str, type_: str, status: str, reason: str
) -> tuple[str, str, str]:
    def check() -> tuple[str, str, str] | None:
        found = condition(cluster, namespace, name, type_)
        return found if found is not None and found[:2] == (status, reason) else None

    return wait_for(check, 60, f"{type_}={status} {reason}")


def deployment_of(cluster: Cluster, namespace: str, name: str) -> Any:
    return get_or_none(cluster.apps.read_namespaced_deployment, name, namespace)


def job_of(cluster: Cluster, namespace: str, name: str) -> Any:
    return get_or_none(client.BatchV1Api(cluster.api_client).read_namespaced_job, name, namespace)


def claim_of(cluster: Cluster, namespace: str, name: str) -> Any:
    return get_or_none(cluster.core.read_namespaced_persistent_volume_claim, name, namespace)


def test_claims_bind_then_the_model_downloads_then_the_deployment_runs(
    cluster: Cluster, namespace: str, operator: Operator, volumes: list[str]
) -> None:
    create_claim(cluster, namespace, "shared-data")
    body = vllm_md("cached")
    body["spec"]["model"]["storage"] = {
        "volumes": [
            {"name": "weights", "purpose": "modelCache", "size": "1Gi", "storageClassName": ""},
            {"name": "data", "claimName": "shared-data", "mountPath": "/data"},
        ]
    }
    created = cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)

    # The managed claim is created at once, owned and labelled as the spec says.
    pvc = wait_for(lambda: claim_of(cluster, namespace, "cached-weights"), 60, "the managed claim")
    assert pvc.metadata.labels == OUR_LABELS
    [ref] = pvc.metadata.owner_references
    assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == (
        "ModelDeployment",
        "cached",
        created["metadata"]["uid"],
        True,
        True,
    )
    assert pvc.spec.access_modes == ["ReadWriteMany"]
    assert pvc.spec.resources.requests == {"storage": "1Gi"}
    assert pvc.spec.storage_class_name == ""

    # The pre-existing claim is Pending: storage is not ready, nothing is rendered.
    waiting = reaches(cluster, namespace, "cached", "StorageReady", "False", "PVCsPending")
    assert waiting[2] == "Waiting for PVCs to be bound"
    status = status_of(cluster, namespace, "cached")
    assert (status["phase"], status["message"]) == ("Pending", "Waiting for PVCs to be bound")
    assert deployment_of(cluster, namespace, "cached") is None
    assert job_of(cluster, namespace, "cached-model-download") is None

    # Bound (our managed claim is still Pending, which counts as ready): the download starts.
    bind(cluster, volumes, namespace, "shared-data")
    bound = reaches(cluster, namespace, "cached", "StorageReady", "True", "PVCsBound")
    assert bound[2] == "All managed PVCs are bound"
    assert claim_of(cluster, namespace, "cached-weights").status.phase == "Pending"
    job = wait_for(lambda: job_of(cluster, namespace, "cached-model-download"), 30, "the download Job")
    assert_download_job(job, created["metadata"]["uid"])
    progress = reaches(cluster, namespace, "cached", "ModelDownloaded", "False", "DownloadInProgress")
    assert progress[2] == "Model download in progress"
    assert status_of(cluster, namespace, "cached")["phase"] == "Pending"
    assert deployment_of(cluster, namespace, "cached") is None

    # Binding the model cache lets the Job's pod schedule; kwok completes it, the Job controller
    # marks the Job Complete, and the Deployment follows.
    bind(cluster, volumes, namespace, "cached-weights")
    done = reaches(cluster, namespace, "cached", "ModelDownloaded", "True", "DownloadComplete")
    assert done[2] == "Model download completed"
    deployment = wait_for(lambda: deployment_of(cluster, namespace, "cached"), 30, "the Deployment")
    mounts = {m.name: m.mount_path for m in deployment.spec.template.spec.containers[0].volume_mounts}
    assert mounts == {"weights": "/model-cache", "data": "/data"}
    wait_for(lambda: status_of(cluster, namespace, "cached").get("phase") == "Running", 90, "Running")

    log = operator.output()
    assert f"Created PersistentVolumeClaim {namespace}/cached-weights for ModelDeployment cached" in log
    assert f"Created Job {namespace}/cached-model-download for ModelDeployment cached" in log

    # Deletion removes the Job and the managed claim; the pre-existing claim stays.
    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "cached")
    wait_for(
        lambda: (
            get_or_none(cluster.custom.get_namespaced_custom_object, G, V, namespace, MD, "cached") is None
        ),
        90,
        "the ModelDeployment to be deleted",
    )
    wait_for(lambda: job_of(cluster, namespace, "cached-model-download") is None, 60, "the Job to go")
    wait_for(lambda: claim_of(cluster, namespace, "cached-weights") is None, 60, "the managed claim to go")
    kept = claim_of(cluster, namespace, "shared-data")
    assert kept is not None
    assert kept.metadata.deletion_timestamp is None
    log = operator.output()
    assert f"Deleted Job {namespace}/cached-model-download of ModelDeployment cached" in log
    assert f"Deleted PersistentVolumeClaim {namespace}/cached-weights of ModelDeployment cached" in log


def assert_download_job(job: Any, uid: str) -> None:
    assert job.metadata.labels == {**OUR_LABELS, "airunway.ai/job-type": "model-download"}
    [ref] = job.metadata.owner_references
    assert (ref.kind, ref.name, ref.uid, ref.controller) == ("ModelDeployment", "cached", uid, True)
    assert (job.spec.backoff_limit, job.spec.completions, job.spec.parallelism) == (6, 1, 1)
    pod = job.spec.template.spec
    assert pod.restart_policy == "Never"
    [container] = pod.containers
    assert (container.name, container.image, container.args) == (
        "model-download",
        DOWNLOADER,
        ["download", MODEL_ID],
    )
    assert [(e.name, e.value) for e in container.env] == [("HF_HOME", "/model-cache")]
    assert container.resources.requests == {"cpu": "500m", "memory": "2Gi"}
    assert container.resources.limits == {"memory": "16Gi"}
    assert [(m.name, m.mount_path) for m in container.volume_mounts] == [("model-cache", "/model-cache")]
    [volume] = pod.volumes
    assert (volume.name, volume.persistent_volume_claim.claim_name) == ("model-cache", "cached-weights")


def test_a_missing_pre_existing_claim_fails_until_it_is_created(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    body = vllm_md("orphan")
    body["spec"]["model"]["storage"] = {
        "volumes": [{"name": "data", "claimName": "absent", "mountPath": "/data"}]
    }
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
    error = (
        f'pre-existing PVC "absent" not found in namespace "{namespace}" (referenced by volume "data"); '
        "ensure the PVC exists before creating the ModelDeployment"
    )
    failed = reaches(cluster, namespace, "orphan", "StorageReady", "False", "PVCFailed")
    assert failed[2] == error
    status = status_of(cluster, namespace, "orphan")
    assert (status["phase"], status["message"]) == ("Failed", f"Failed to ensure PVCs: {error}")
    assert deployment_of(cluster, namespace, "orphan") is None

    # The claim watch sees the new (unlabelled) claim and re-runs the deployment at once.
    create_claim(cluster, namespace, "absent")
    reaches(cluster, namespace, "orphan", "StorageReady", "False", "PVCsPending")
    assert status_of(cluster, namespace, "orphan")["phase"] == "Pending"


def test_a_read_only_model_cache_downloads_nothing(
    cluster: Cluster, namespace: str, operator: Operator, volumes: list[str]
) -> None:
    create_claim(cluster, namespace, "weights")
    bind(cluster, volumes, namespace, "weights")
    body = vllm_md("preloaded")
    body["spec"]["model"]["storage"] = {
        "volumes": [{"name": "cache", "purpose": "modelCache", "claimName": "weights", "readOnly": True}]
    }
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
    reaches(cluster, namespace, "preloaded", "StorageReady", "True", "PVCsBound")
    deployment = wait_for(lambda: deployment_of(cluster, namespace, "preloaded"), 60, "the Deployment")
    [mount] = deployment.spec.template.spec.containers[0].volume_mounts
    assert (mount.mount_path, mount.read_only) == ("/model-cache", True)
    assert job_of(cluster, namespace, "preloaded-model-download") is None
    assert condition(cluster, namespace, "preloaded", "ModelDownloaded") is None


def test_objects_in_the_way(cluster: Cluster, namespace: str, operator: Operator) -> None:
    """Someone's own claim under the managed name is never deleted (Failed, upstream's message); a
    download Job this ModelDeployment does not own is deleted and replaced by ours."""
    create_claim(cluster, namespace, "blocked-weights")
    blocked = vllm_md("blocked")
    blocked["spec"]["model"]["storage"] = {
        "volumes": [{"name": "weights", "purpose": "modelCache", "size": "1Gi"}]
    }
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, blocked)
    error = (
        "PVC blocked-weights exists but was not created by airunway (missing airunway.ai/managed-by label); "
        "refusing to delete — remove the PVC manually or change the volume claimName"
    )
    assert reaches(cluster, namespace, "blocked", "StorageReady", "False", "PVCFailed")[2] == error
    assert status_of(cluster, namespace, "blocked")["message"] == f"Failed to ensure PVCs: {error}"
    assert claim_of(cluster, namespace, "blocked-weights").metadata.deletion_timestamp is None

    batch = client.BatchV1Api(cluster.api_client)
    foreign = batch.create_namespaced_job(
        namespace,
        {
            "metadata": {"name": "replaced-model-download"},
            "spec": {
                "template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "x", "image": "busybox"}]}
                }
            },
        },
    )
    replaced = vllm_md("replaced")
    replaced["spec"]["model"]["storage"] = {
        "volumes": [{"name": "weights", "purpose": "modelCache", "size": "1Gi"}]
    }
    created = cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, replaced)

    def ours() -> Any:
        job = job_of(cluster, namespace, "replaced-model-download")
        return job if job is not None and job.metadata.uid != foreign.metadata.uid else None

    job = wait_for(ours, 60, "our download Job in place of the foreign one")
    assert [ref.uid for ref in job.metadata.owner_references] == [created["metadata"]["uid"]]
    assert (
        f"Deleting stale Job {namespace}/replaced-model-download in the way of ModelDeployment replaced"
        in operator.output()
    )
