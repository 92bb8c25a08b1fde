"""End to end on the local plane, as `make demo` runs: the shipped InferenceProviderConfigs (not yet
ready) and a ModelDeployment naming neither engine nor provider exist before the operator starts.
The core picks the engine and the provider once the providers register, and the provider continues
that same pass: it must render with the engine just picked, which the body it was handed does not
carry yet (it used to report `ProviderCompatible=False "no engine resolved yet"` and never recover)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import manifests, recorded_versions, wait_for

G, V = constants.GROUP, constants.VERSION
MD, IPC = constants.MODELDEPLOYMENT_PLURAL, constants.PROVIDERCONFIG_PLURAL


def test_an_auto_selected_engine_reaches_the_providers_pass_after_a_cold_start(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    for ipc in cluster.custom.list_cluster_custom_object(G, V, IPC)["items"]:
        cluster.custom.delete_cluster_custom_object(G, V, IPC, ipc["metadata"]["name"])
    for _, ipc in manifests("config/providers"):
        cluster.custom.create_cluster_custom_object(G, V, IPC, ipc)
    auto = {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": "auto"},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "resources": {"gpu": {"count": 1}}},
    }
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, auto)
    with recorded_versions(cluster.custom, namespace) as seen:
        op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--no-webhook")
        try:
            op.wait_healthy()

            def created() -> dict[str, Any] | None:
                body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "auto")
                conditions = {c["type"]: c for c in (body.get("status") or {}).get("conditions") or ()}
                made = conditions.get("ResourceCreated", {}).get("status") == "True"
                return conditions if made else None

            conditions = wait_for(created, 60, "the provider to render with the engine the core picked")
        finally:
            op.kill()
    assert conditions["EngineSelected"]["reason"] == "AutoSelected"
    # Not even for a moment did the provider judge the object without the engine just picked.
    verdicts = [
        c
        for version in seen
        for c in (version.get("status") or {}).get("conditions") or ()
        if c["type"] == "ProviderCompatible"
    ]
    assert verdicts
    assert all(c["status"] == "True" for c in verdicts), [c["message"] for c in verdicts]
