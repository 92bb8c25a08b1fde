"""The operator never drops work and never hangs: start-up order, refused writes, heartbeat,
self-healing registration, and a bounded stop whatever the API server does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

import providers
from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import (
    Operator,
    SilentServer,
    free_port,
    kubeconfig_for,
    registration_exists,
)
from tests.support import get_or_none, ignore_missing, refusal_policy, vllm_md, wait_for

G, V = constants.GROUP, constants.VERSION
MD_PLURAL, IPC_PLURAL = constants.MODELDEPLOYMENT_PLURAL, constants.PROVIDERCONFIG_PLURAL


def _md(name: str) -> dict[str, Any]:
    return vllm_md(name)


def _get(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD_PLURAL, name)
    return body


def _ipc(cluster: Cluster, name: str) -> dict[str, Any] | None:
    body: dict[str, Any] | None = get_or_none(
        cluster.custom.get_cluster_custom_object, G, V, IPC_PLURAL, name
    )
    return body


def _delete_ipc(cluster: Cluster, name: str) -> None:
    ignore_missing(cluster.custom.delete_cluster_custom_object, G, V, IPC_PLURAL, name)


# ------------------------------------------------------------------ start-up order


@pytest.fixture
def preinstalled_webhook(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The webhook configuration of an installed release (failurePolicy: Fail), applied before any
    operator runs, pointing at a port and certificate the test's operator will use."""
    port = free_port()
    certs = tmp_path / "certs"
    certs.mkdir()
    files = tls.self_signed(["127.0.0.1", "localhost"], certs)
    config = configuration.validating_configuration(
        configuration.url_client_config(f"https://127.0.0.1:{port}", files.cafile.read_bytes())
    )
    admission = client.AdmissionregistrationV1Api(cluster.api_client)
    if registration_exists(cluster.api_client):
        admission.delete_validating_webhook_configuration(configuration.NAME)
    admission.create_validating_webhook_configuration(config)
    try:
        yield port, certs
    finally:
        admission.delete_validating_webhook_configuration(configuration.NAME)


def test_first_install_registers_providers_once_its_own_webhook_serves(
    cluster: Cluster, namespace: str, preinstalled_webhook: tuple[int, Path], tmp_path: Path
) -> None:
    port, certs = preinstalled_webhook
    # Applied while nothing serves the webhook: a dry run shows creates are refused (Fail) ...
    with pytest.raises(ApiException):
        cluster.custom.create_namespaced_custom_object(
            G, V, namespace, MD_PLURAL, _md("early"), dry_run="All"
        )
    names = [p.name for p in providers.load_providers()]
    for name in names:
        _delete_ipc(cluster, name)
    wait_for(lambda: all(_ipc(cluster, n) is None for n in names), 30, "the provider configs to go")

    op = Operator(
        cluster.kubeconfig,
        tmp_path / "op.log",
        env={"AIRUNWAY_WEBHOOK_PORT": str(port), "AIRUNWAY_WEBHOOK_CERT_DIR": str(certs)},
    )
    op.wait_healthy()
    # No ModelDeployment event is needed: registration is queued work that starts once our
    # webhook listens (writes before that would meet failurePolicy: Fail with nothing serving).
    wait_for(
        lambda: all((_ipc(cluster, n) or {}).get("status", {}).get("lastHeartbeat") for n in names),
        60,
        f"{names} to register through the operator's own webhook",
    )
    assert "Provider not registered" not in op.output()
    # ... and once it serves, a ModelDeployment goes all the way (finalizer writes pass the webhook).
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD_PLURAL, _md("early"))
    wait_for(
        lambda: (
            (_get(cluster, namespace, "early").get("status") or {}).get("phase") == "Running"
            and "airunway.ai/core" in (_get(cluster, namespace, "early")["metadata"].get("finalizers") or ())
        ),
        90,
        "the ModelDeployment to run behind the operator's own webhook",
    )


def test_a_providerconfig_with_bad_cel_is_admitted_and_reported_on_its_status(
    cluster: Cluster, tmp_path: Path
) -> None:
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--providers", "none", "--register-webhook")
    op.wait_healthy()
    name = f"typo-{tmp_path.name[-8:].lower().replace('_', '-')}"
    body = {
        "apiVersion": f"{G}/{V}",
        "kind": "InferenceProviderConfig",
        "metadata": {"name": name},
        "spec": {"selectionRules": [{"condition": "spec.model.id ==", "priority": 5}]},
    }
    cluster.custom.create_cluster_custom_object(G, V, IPC_PLURAL, body)
    try:

        def reported() -> dict[str, Any] | None:
            conditions = ((_ipc(cluster, name) or {}).get("status") or {}).get("conditions") or []
            return next((c for c in conditions if c["type"] == "SelectionRulesValid"), None)

        condition = wait_for(reported, 30, "SelectionRulesValid on the InferenceProviderConfig")
        assert (condition["status"], condition["reason"]) == ("False", "InvalidSelectionRule")
        assert "selectionRules[0]" in condition["message"]

        fixed = {"spec": {"selectionRules": [{"condition": "spec.model.id != ''", "priority": 5}]}}
        cluster.custom.patch_cluster_custom_object(G, V, IPC_PLURAL, name, fixed)
        wait_for(
            lambda: (reported() or {}).get("reason") == "RulesCompiled", 30, "the condition to follow the fix"
        )
    finally:
        _delete_ipc(cluster, name)


# ------------------------------------------------------------------ refused finalizer writes


@pytest.fixture
def finalizer_changes_refused(cluster: Cluster, namespace: str) -> Iterator[Callable[[], None]]:
    """A ValidatingAdmissionPolicy refusing any change of a ModelDeployment's finalizers in
    `namespace`; yields the function that lifts the refusal."""
    rule = {"apiGroups": [G], "apiVersions": [V], "operations": ["UPDATE"], "resources": [MD_PLURAL]}
    with refusal_policy(
        cluster.api_client,
        f"refuse-finalizers-{namespace}",
        namespace,
        rule,
        "has(object.metadata.finalizers) == has(oldObject.metadata.finalizers) && "
        "(!has(object.metadata.finalizers) || "
        "object.metadata.finalizers == oldObject.metadata.finalizers)",
        "finalizer changes are refused in this namespace (test policy)",
    ) as lift:
        probe = _md("policy-probe")
        probe["spec"].pop("provider")
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD_PLURAL, probe)

        def refused() -> bool:
            patch = {"metadata": {"finalizers": ["example.com/probe"]}}
            try:
                cluster.custom.patch_namespaced_custom_object(
                    G, V, namespace, MD_PLURAL, "policy-probe", patch, dry_run="All"
                )
            except ApiException as err:
                return err.status in (400, 403, 422)
            return False

        wait_for(refused, 30, "the admission policy to take effect")
        cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD_PLURAL, "policy-probe")
        yield lift


def test_a_refused_finalizer_write_still_shows_why_in_status_and_converges_once_allowed(
    cluster: Cluster, namespace: str, finalizer_changes_refused: Callable[[], None], tmp_path: Path
) -> None:
    op = Operator(
        cluster.kubeconfig, tmp_path / "op.log", "--no-webhook", env={"AIRUNWAY_HEARTBEAT_SECONDS": "0"}
    )
    op.wait_healthy()
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD_PLURAL, _md("refused"))

    def status_explains() -> dict[str, Any] | None:
        body = _get(cluster, namespace, "refused")
        status = body.get("status") or {}
        conditions = {c["type"]: c for c in status.get("conditions") or ()}
        if (status.get("provider") or {}).get("name") == "vllm" and "finalizer" in (
            status.get("message") or ""
        ):
            return {
                "status": status,
                "conditions": conditions,
                "finalizers": body["metadata"].get("finalizers"),
            }
        return None

    seen = wait_for(status_explains, 60, "status to name the refused finalizer")
    assert not seen["finalizers"]
    assert "Validated" in seen["conditions"] or "ProviderSelected" in seen["conditions"], seen
    assert "refused in this namespace" in seen["status"]["message"]

    # Lift the refusal; nothing touches the ModelDeployment: the retries alone converge it.
    finalizer_changes_refused()
    generation = _get(cluster, namespace, "refused")["metadata"]["generation"]

    def converged() -> dict[str, Any] | None:
        body = _get(cluster, namespace, "refused")
        running = (body.get("status") or {}).get("phase") == "Running"
        return body if running and "airunway.ai/core" in (body["metadata"].get("finalizers") or ()) else None

    body = wait_for(converged, 120, "the ModelDeployment to converge after the refusal ends")
    assert body["metadata"]["generation"] == generation
    assert "airunway.ai/vllm-provider" in body["metadata"]["finalizers"]


# ------------------------------------------------------------------ heartbeat and self-heal


def test_providers_refresh_their_heartbeat_and_recreate_a_deleted_config_at_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    op = Operator(
        cluster.kubeconfig,
        tmp_path / "op.log",
        "--no-core",
        "--providers",
        "vllm",
        "--no-webhook",
        env={"AIRUNWAY_HEARTBEAT_SECONDS": "1"},
    )
    op.wait_healthy()
    first = wait_for(
        lambda: ((_ipc(cluster, "vllm") or {}).get("status") or {}).get("lastHeartbeat"), 30, "a heartbeat"
    )
    wait_for(
        lambda: ((_ipc(cluster, "vllm") or {}).get("status") or {}).get("lastHeartbeat") not in (None, first),
        30,
        "the heartbeat to advance",
    )

    uid = (_ipc(cluster, "vllm") or {})["metadata"]["uid"]
    _delete_ipc(cluster, "vllm")

    def recreated() -> dict[str, Any] | None:
        body = _ipc(cluster, "vllm")
        return body if body is not None and body["metadata"]["uid"] != uid else None

    body = wait_for(recreated, 30, "the deleted InferenceProviderConfig to be re-created by its provider")
    vllm = next(p for p in providers.load_providers() if p.name == "vllm")
    assert body["spec"] == vllm.config("any")["spec"]


# ------------------------------------------------------------------ bounded stop


@pytest.mark.parametrize("leader_election", [False, True], ids=["single", "leader-election"])
@pytest.mark.parametrize("api_server", ["hangs", "refuses"])
def test_sigterm_stops_the_operator_in_bounded_time_whatever_the_api_server_does(
    tmp_path: Path, api_server: str, leader_election: bool
) -> None:
    silent = SilentServer()
    port = silent.port if api_server == "hangs" else free_port()
    if api_server == "refuses":
        silent.close()
    try:
        op = Operator(
            kubeconfig_for(tmp_path / "kubeconfig", port),
            tmp_path / "op.log",
            "--register-webhook",
            env={"AIRUNWAY_LEADER_ELECT": str(leader_election).lower()},
        )
        op.wait_healthy()
        time.sleep(2)  # let watches, registration and webhook registration start and block
        op.proc.terminate()
        code = op.proc.wait(timeout=30)  # a deadline, not a measurement: the bound is 10 s
    finally:
        silent.close()
    assert code == 0, op.output()
    assert "Operator stopped" in op.output()
