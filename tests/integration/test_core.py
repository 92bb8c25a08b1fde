"""The running core controller on the real local control plane: selection under several provider
sets, conditions, Events, metrics, restart stability, reaction to provider changes and deletion."""

from __future__ import annotations

import copy
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import manifests, wait_for

G, V = constants.GROUP, constants.VERSION
MD, IPC = constants.MODELDEPLOYMENT_PLURAL, constants.PROVIDERCONFIG_PLURAL
SHIPPED = {body["metadata"]["name"]: body for _, body in manifests("config/providers")}


def set_providers(cluster: Cluster, ready: dict[str, bool]) -> None:
    """Make exactly these InferenceProviderConfigs exist, with the given readiness."""
    for item in cluster.custom.list_cluster_custom_object(G, V, IPC)["items"]:
        if item["metadata"]["name"] not in ready:
            cluster.custom.delete_cluster_custom_object(G, V, IPC, item["metadata"]["name"])
    for name, is_ready in ready.items():
        try:
            cluster.custom.create_cluster_custom_object(G, V, IPC, copy.deepcopy(SHIPPED[name]))
        except ApiException as err:
            if err.status != 409:
                raise
        cluster.custom.patch_cluster_custom_object_status(G, V, IPC, name, {"status": {"ready": is_ready}})


@pytest.fixture(scope="module")
def core(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    set_providers(cluster, dict.fromkeys(SHIPPED, True))
    log = tmp_path_factory.mktemp("core") / "operator.log"
    env = {"AIRUNWAY_FINALIZER_TIMEOUT_SECONDS": "3"}
    op = Operator(cluster.kubeconfig, log, "--providers", "none", "--no-webhook", env=env)
    op.wait_healthy()
    yield op
    op.kill()
    set_providers(cluster, {})


def create(cluster: Cluster, namespace: str, name: str, **spec: Any) -> None:
    body = {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, **spec},
    }
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)


def get(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return result


def settled(
    cluster: Cluster, namespace: str, name: str, condition: str = "ProviderSelected"
) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        body = get(cluster, namespace, name)
        types = {c["type"] for c in (body.get("status") or {}).get("conditions") or ()}
        return body if condition in types else None

    return wait_for(ready, 30, f"{name} to get condition {condition}")


def conditions(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in body["status"]["conditions"]}


def events(cluster: Cluster, namespace: str, name: str) -> list[tuple[str, str]]:
    items = cluster.core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items
    return [(e.type, e.reason) for e in items]


def test_auto_selection_records_engine_and_provider_with_conditions_and_events(
    cluster: Cluster, namespace: str, core: Operator
) -> None:
    create(cluster, namespace, "one-gpu", engine={"type": "vllm"})
    body = settled(cluster, namespace, "one-gpu")
    status = body["status"]
    assert "provider" in status, status
    assert status["provider"] == {
        "name": "dynamo",
        "selectedReason": "matched capabilities: engine=vllm, gpu=true, mode=aggregated",
    }
    assert status["engine"] == {"type": "vllm", "selectedReason": "explicit engine selection"}
    assert status["phase"] == "Pending"
    assert status["observedGeneration"] == body["metadata"]["generation"]
    assert conditions(body) == {
        "Validated": ("True", "ValidationPassed"),
        "EngineSelected": ("True", "ExplicitSelection"),
        "ProviderSelected": ("True", "AutoSelected"),
        "Ready": ("False", "DeploymentInProgress"),
    }
    # The status is written first, so the reason for a refused finalizer write is visible.
    wait_for(
        lambda: (
            "airunway.ai/core" in (get(cluster, namespace, "one-gpu")["metadata"].get("finalizers") or ())
        ),
        30,
        "the core finalizer",
    )
    wait_for(
        lambda: ("Normal", "AutoSelected") in events(cluster, namespace, "one-gpu"), 30, "the selection Event"
    )


@pytest.mark.parametrize(
    ("spec", "provider", "engine"),
    [
        pytest.param({}, "kaito", "llamacpp", id="no engine and no GPU: llama.cpp on KAITO"),
        pytest.param(
            {"engine": {"type": "vllm"}, "resources": {"gpu": {"count": 2}}}, "kuberay", "vllm", id="2 GPUs"
        ),
        pytest.param({"engine": {"type": "sglang"}}, "dynamo", "sglang", id="sglang"),
    ],
)
def test_worked_examples_with_all_providers_ready(
    cluster: Cluster, namespace: str, core: Operator, spec: dict[str, Any], provider: str, engine: str
) -> None:
    create(cluster, namespace, "example", **spec)
    status = settled(cluster, namespace, "example")["status"]
    assert (status["provider"]["name"], status["engine"]["type"]) == (provider, engine)


def test_waits_for_a_provider_and_selects_it_when_it_becomes_ready(
    cluster: Cluster, namespace: str, core: Operator
) -> None:
    set_providers(cluster, {"vllm": False})
    try:
        # Watches of different kinds are not ordered: wait until the operator has seen the change
        # (a probe that still got selected from the stale view is simply left behind).
        probes = iter(range(100))

        def operator_sees_no_ready_provider() -> bool:
            name = f"probe-{next(probes)}"
            create(cluster, namespace, name, engine={"type": "vllm"})
            return conditions(settled(cluster, namespace, name))["ProviderSelected"][0] == "False"

        wait_for(operator_sees_no_ready_provider, 60, "the operator to see the provider not ready")
        create(cluster, namespace, "waiting", engine={"type": "vllm"})
        body = settled(cluster, namespace, "waiting")
        assert conditions(body)["ProviderSelected"] == ("False", "SelectionFailed")
        assert body["status"]["message"] == "Provider selection failed: no healthy providers available"
        assert body["status"]["phase"] == "Pending"
        set_providers(cluster, {"vllm": True})

        def selected() -> bool:
            return bool(
                (get(cluster, namespace, "waiting")["status"].get("provider") or {}).get("name") == "vllm"
            )

        wait_for(selected, 30, "selection once the provider is ready")
        status = get(cluster, namespace, "waiting")["status"]
        assert "message" not in status
        assert conditions(get(cluster, namespace, "waiting"))["ProviderSelected"] == ("True", "AutoSelected")
    finally:
        set_providers(cluster, dict.fromkeys(SHIPPED, True))
        restored = iter(range(100))

        def operator_sees_every_provider() -> bool:
            name = f"restored-{next(restored)}"
            create(cluster, namespace, name, engine={"type": "vllm"}, resources={"gpu": {"count": 2}})
            return bool(
                settled(cluster, namespace, name)["status"].get("provider", {}).get("name") == "kuberay"
            )

        wait_for(operator_sees_every_provider, 60, "the operator to see every provider ready again")


def test_validation_failure_is_reported_on_the_object(
    cluster: Cluster, namespace: str, core: Operator
) -> None:
    create(
        cluster,
        namespace,
        "bad",
        engine={"type": "vllm"},
        provider={"name": "kaito"},
        serving={"mode": "disaggregated"},
        scaling={"prefill": {"gpu": {"count": 1}}, "decode": {"gpu": {"count": 1}}},
    )
    body = settled(cluster, namespace, "bad", "Validated")
    assert conditions(body)["Validated"] == ("False", "ValidationFailed")
    assert body["status"]["phase"] == "Failed"
    assert body["status"]["message"].startswith("Validation failed: spec.serving.mode")
    wait_for(
        lambda: ("Warning", "ValidationFailed") in events(cluster, namespace, "bad"), 30, "the Warning Event"
    )


def test_metrics_use_upstream_names(cluster: Cluster, namespace: str, core: Operator) -> None:
    create(cluster, namespace, "measured", engine={"type": "vllm"}, provider={"name": "vllm"})
    settled(cluster, namespace, "measured")

    def scraped() -> str | None:
        with urllib.request.urlopen(f"http://127.0.0.1:{core.metrics_port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        return text if 'airunway_provider_selection_total{provider="vllm",reason="manual"}' in text else None

    text = wait_for(scraped, 30, "the selection counter")
    for name in (
        "airunway_reconciliation_duration_seconds",
        "airunway_reconciliation_errors_total",
        "airunway_deployment_status",
        "airunway_deployment_replicas",
        "airunway_deployment_phase_transitions_total",
        "airunway_deployment_ready_duration_seconds",
        "airunway_deployment_provision_duration_seconds",
    ):
        assert name in text


def test_restart_changes_nothing_already_correct(
    cluster: Cluster, namespace: str, core: Operator, tmp_path: Path
) -> None:
    create(cluster, namespace, "stable", engine={"type": "vllm"})
    before = settled(cluster, namespace, "stable")
    wait_for(
        lambda: (
            get(cluster, namespace, "stable")["metadata"]["resourceVersion"]
            == before["metadata"]["resourceVersion"]
            or None
        ),
        5,
        "quiet",
    )
    before = get(cluster, namespace, "stable")
    second = Operator(cluster.kubeconfig, tmp_path / "second.log", "--providers", "none", "--no-webhook")
    try:
        second.wait_healthy()
        wait_for(
            lambda: "Observed ModelDeployment event" in second.output(), 30, "the second operator to list"
        )
    finally:
        assert second.stop() == 0
    after = get(cluster, namespace, "stable")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["status"]["provider"] == before["status"]["provider"]


def test_deletion_completes_and_releases_a_dead_providers_finalizer(
    cluster: Cluster, namespace: str, core: Operator
) -> None:
    create(cluster, namespace, "doomed", engine={"type": "vllm"})
    settled(cluster, namespace, "doomed")
    cluster.custom.patch_namespaced_custom_object(
        G,
        V,
        namespace,
        MD,
        "doomed",
        {"metadata": {"finalizers": ["airunway.ai/core", "airunway.ai/ghost-provider"]}},
    )
    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "doomed")

    def gone() -> bool:
        try:
            get(cluster, namespace, "doomed")
        except ApiException as err:
            return bool(err.status == 404)
        return False

    wait_for(gone, 30, "the ModelDeployment to be deleted")
    wait_for(
        lambda: ("Warning", "FinalizerTimeout") in events(cluster, namespace, "doomed"),
        30,
        "the timeout Event",
    )
