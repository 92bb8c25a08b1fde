"""At idle the operator's only requests are the providers' heartbeats: their registration reads
nothing (its own config, the CRDs it depends on and KAITO's controller Deployments are known
from watches), measured in the API server's audit log."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks import audit
from tests.conftest import Cluster
from tests.controlplane import plane
from tests.operator_process import Operator
from tests.support import wait_for


def test_heartbeats_are_the_only_requests_at_idle(cluster: Cluster, namespace: str, tmp_path: Path) -> None:
    log = plane.default_layout().logs / "audit.log"
    # Watching one empty namespace: other tests' leftovers elsewhere on the plane are not ours.
    op = Operator(
        cluster.kubeconfig,
        tmp_path / "op.log",
        "--no-webhook",
        "--namespace",
        namespace,
        env={"AIRUNWAY_HEARTBEAT_SECONDS": "2"},
    )
    try:
        op.wait_healthy()
        wait_for(lambda: "Operator configured" in op.output() or None, 30, "the operator to start")
        time.sleep(4)  # start-up reads and the first registrations are done
        start = audit.mark(log)
        time.sleep(7)
        requests = audit.by_operator(audit.requests_since(log, start, audit.OPERATOR_AGENTS))
    finally:
        op.kill()
    kinds = {(r.verb, r.resource) for r in requests if r.verb != "watch" and r.namespace in ("", namespace)}
    assert kinds <= {("patch", "inferenceproviderconfigs/status")}, sorted(kinds)
    heartbeats = [r for r in requests if r.resource == "inferenceproviderconfigs/status"]
    assert heartbeats, "the heartbeat writes status.lastHeartbeat"
