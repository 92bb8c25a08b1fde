"""GitOps on the local plane: a ModelDeployment the operator runs ends as kstatus Current; re-applying
every sample with server-side apply is a zero diff; the operator never writes `spec`."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.api import constants
from benchmarks import audit
from tests.conftest import Cluster
from tests.controlplane import plane
from tests.gitops import kstatus
from tests.operator_process import Operator
from tests.support import manifests, vllm_md, wait_for

pytestmark = pytest.mark.cluster

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
APPLIER = "gitops-test"
OPERATOR_MANAGERS = ("airunway-operator", "kopf")


def get(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return result


def apply(cluster: Cluster, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    """Server-side apply of one manifest as YAML, as `kubectl apply --server-side --force-conflicts` does."""
    name = body["metadata"]["name"]
    path = f"/apis/{G}/{V}/namespaces/{namespace}/{MD}/{name}?fieldManager={APPLIER}&force=true"
    manifest = {**body, "metadata": {**body["metadata"], "namespace": namespace}}
    response = cluster.api_client.call_api(
        "PATCH",
        cluster.api_client.configuration.host + path,
        header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
        body=yaml.safe_dump(manifest),
    )
    response.read()
    result: dict[str, Any] = json.loads(response.data)
    return result


def running(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    body = get(cluster, namespace, name)
    return body if (body.get("status") or {}).get("phase") == "Running" else None


def test_running_model_deployment_is_kstatus_current(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    op = Operator(
        cluster.kubeconfig, tmp_path / "op.log", "-n", namespace, "--providers", "vllm", "--no-webhook"
    )
    op.wait_healthy()
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("qwen"))
    # kstatus calls an object without status Current, so wait for the phase, then ask kstatus.
    body = wait_for(lambda: running(cluster, namespace, "qwen"), 90, "the ModelDeployment to run")
    assert kstatus.compute(body) == (kstatus.CURRENT, "Resource is current")
    assert body["status"]["observedGeneration"] == body["metadata"]["generation"] == 1

    # After a spec change: Current again once the operator observed it and the new replicas are ready.
    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "qwen", {"spec": {"scaling": {"replicas": 2}}}
    )
    body = wait_for(
        lambda: (b := running(cluster, namespace, "qwen")) and b["status"]["replicas"]["ready"] == 2 and b,
        90,
        "two ready replicas",
    )
    assert kstatus.compute(body) == (kstatus.CURRENT, "Resource is current")
    assert body["metadata"]["generation"] == 2
    assert body["status"]["observedGeneration"] == 2


def deployed(cluster: Cluster, namespace: str, name: str) -> bool:
    conditions = (get(cluster, namespace, name).get("status") or {}).get("conditions") or []
    return any(c["type"] == "ResourceCreated" and c["status"] == "True" for c in conditions)


def applied_state(body: dict[str, Any]) -> tuple[Any, ...]:
    """What a re-apply could change: spec, metadata and the applier's own managedFields entry."""
    meta = {k: v for k, v in body["metadata"].items() if k not in ("resourceVersion", "managedFields")}
    mine = [m for m in body["metadata"]["managedFields"] if m["manager"] == APPLIER]
    return body["spec"], meta, mine


def other_writers(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["metadata"]["managedFields"] if m["manager"] != APPLIER]


def operator_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["metadata"]["managedFields"] if m["manager"].startswith(OPERATOR_MANAGERS)]


def test_reapplying_samples_is_a_zero_diff_and_the_operator_never_writes_spec(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    samples = [body for _, body in manifests("config/samples") if body["kind"] == "ModelDeployment"]
    names = [body["metadata"]["name"] for body in samples]
    vllm = [b["metadata"]["name"] for b in samples if (b["spec"].get("provider") or {}).get("name") == "vllm"]
    assert vllm, "no vLLM sample"
    audit_log = plane.default_layout().logs / "audit.log"
    start = audit.offset(audit_log)

    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "-n", namespace, "--no-webhook")
    op.wait_healthy()
    for body in samples:
        apply(cluster, namespace, body)
    for name in vllm:
        wait_for(partial(deployed, cluster, namespace, name), 120, f"{name}'s Deployment")
    # The kwok GPU nodes are H100s: only the samples without a node selector (an A100) can run.
    runnable = [
        b["metadata"]["name"]
        for b in samples
        if b["metadata"]["name"] in vllm and "nodeSelector" not in b["spec"]
    ]
    assert runnable, "no runnable vLLM sample"
    for name in runnable:
        wait_for(partial(running, cluster, namespace, name), 120, f"{name} to run")
    # Stop the operator so that nothing else writes while the re-apply is compared: a status write
    # between the read and the apply would change resourceVersion for a reason that is not ours.
    assert op.stop() == 0

    for name, body in zip(names, samples, strict=True):
        before = get(cluster, namespace, name)
        after = apply(cluster, namespace, body)
        assert after["metadata"]["generation"] == before["metadata"]["generation"], name
        assert applied_state(after) == applied_state(before), name
        if after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]:
            # Only another writer in between may explain it: an operator of a concurrent test
            # run cluster-wide on the shared plane can still write status here.
            assert other_writers(after) != other_writers(before), f"{name}: the re-apply wrote"

    for name in names:
        body = get(cluster, namespace, name)
        assert body["metadata"]["generation"] == 1, f"{name}: spec changed after the apply"
        appliers = [m for m in body["metadata"]["managedFields"] if m["manager"] == APPLIER]
        assert [m["operation"] for m in appliers] == ["Apply"], name
        assert "f:spec" in appliers[0]["fieldsV1"], name
        entries = operator_entries(body)
        assert entries, f"{name}: the operator wrote nothing"
        for entry in entries:
            fields = entry["fieldsV1"]
            assert "f:spec" not in fields, (name, entry)
            if entry.get("subresource") == "status":
                assert set(fields) == {"f:status"}, (name, entry)
            else:
                assert set(fields) == {"f:metadata"}, (name, entry)
                assert set(fields["f:metadata"]) == {"f:finalizers"}, (name, entry)

    requests = [
        r
        for r in audit.by_operator(audit.requests_since(audit_log, start))
        if r.namespace == namespace and r.resource == MD and r.verb in audit.WRITE_VERBS
    ]
    # Metadata-level audit: no bodies, but the verbs show the operator never replaced a whole object
    # (update) and that its main-resource patches are the ones managedFields attribute to finalizers.
    assert requests, "no write of the operator in the audit log"
    verbs = {r.verb for r in requests}
    assert verbs <= {"patch"}, f"the operator wrote whole ModelDeployments: {sorted(verbs)}"
