"""Every write of the operator is refused for a while: nothing it failed to do may be dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.faults import workload
from tests.faults.conftest import OPERATOR_USER, FaultPlane, Operators
from tests.faults.denying_webhook import DenyingWebhook
from tests.support import wait_for

DENIAL_SECONDS = 20.0
COUNT = workload.scale(20)


@pytest.fixture
def webhook(fault_plane: FaultPlane, tmp_path: Path) -> Iterator[DenyingWebhook]:
    server = DenyingWebhook(tmp_path, OPERATOR_USER)
    server.start()
    try:
        yield server
    finally:
        DenyingWebhook.deregister(fault_plane.api_client)
        server.close()


def _denied_as_operator(fault_plane: FaultPlane, namespace: str) -> bool:
    """True once the API server sends the operator's writes in `namespace` to the webhook."""
    impersonating = client.ApiClient(fault_plane.api_client.configuration)
    impersonating.set_default_header("Impersonate-User", OPERATOR_USER)
    probe = {"metadata": {"name": "deny-probe"}, "spec": {"ports": [{"port": 80}]}}
    try:
        client.CoreV1Api(impersonating).create_namespaced_service(namespace, probe, dry_run="All")
    except ApiException as err:
        return err.status == 403 and "denied the request" in str(err.body)
    finally:
        impersonating.close()
    return False


@pytest.mark.timeout(workload.converge_timeout(COUNT) + 300)
def test_writes_refused_for_a_while_are_retried_without_any_new_event(
    fault_plane: FaultPlane, namespace: str, operators: Operators, webhook: DenyingWebhook
) -> None:
    operators.start("--no-webhook")
    webhook.register(fault_plane.api_client, namespace)
    webhook.denying.set()
    wait_for(lambda: _denied_as_operator(fault_plane, namespace), 30, "the denial to be in force")

    began = time.monotonic()
    names = workload.names(COUNT)
    for name in names:
        workload.create_until_done(fault_plane.custom, namespace, workload.md_body(name))
    wait_for(
        lambda: any("deny-probe" not in d for d in webhook.denials),
        DENIAL_SECONDS,
        "the operator to attempt a write",
    )
    time.sleep(max(0.0, DENIAL_SECONDS - (time.monotonic() - began)))
    assert not fault_plane.apps.list_namespaced_deployment(namespace).items, "the denial did not hold"
    webhook.denying.clear()

    # No edit, annotation or any other event reaches these objects from here on: whatever the
    # operator failed to do must come back by itself.
    seconds = workload.wait_converged(
        fault_plane.api_client, namespace, names, workload.converge_timeout(COUNT), "after the denial"
    )
    workload.figure("admission-denial", f"converged after a {DENIAL_SECONDS:.0f} s denial", seconds, COUNT)
    problems = workload.Snapshot.take(fault_plane.api_client, namespace).integrity_problems()
    assert not problems, problems
