"""The operator is killed (SIGKILL) at random moments of a rollout and restarted each time: no
duplicate or orphaned targets, everything converges, and a final restart writes nothing."""

from __future__ import annotations

import os
import random
import time

import pytest
from kubernetes import config

from benchmarks import audit
from tests.faults import workload
from tests.faults.conftest import FaultPlane, Operators
from tests.support import wait_for

COUNT = workload.scale(40)
KILLS = 3
QUIET_SECONDS = 10.0


@pytest.mark.timeout(2 * workload.converge_timeout(COUNT) + 300)
def test_operator_killed_during_rollout(
    fault_plane: FaultPlane, namespace: str, operators: Operators
) -> None:
    seed = int(os.environ.get("AIRUNWAY_FAULT_SEED", time.time_ns() % 1_000_000))
    print(f"{workload.FIGURE} operator-kill: seed {seed} (AIRUNWAY_FAULT_SEED)", flush=True)
    rng = random.Random(seed)
    op = operators.start("--no-webhook")
    api_client = config.new_client_from_config(str(fault_plane.kubeconfig))
    burst = workload.Burst(api_client, namespace, workload.names(COUNT), rate=COUNT / 10).start()
    try:
        for _ in range(KILLS):
            # Somewhere within the rollout: creates run for about ten seconds, the operator trails.
            time.sleep(rng.uniform(0.5, 5.0))
            op.kill()
            op = operators.start("--no-webhook")
        restarted = time.monotonic()
        burst.join(workload.converge_timeout(COUNT))
    finally:
        api_client.close()
    names = workload.names(COUNT)
    workload.wait_converged(
        fault_plane.api_client, namespace, names, workload.converge_timeout(COUNT), "after the last restart"
    )
    since = time.monotonic() - restarted
    workload.figure("operator-kill", f"converged after {KILLS} kills (since the last restart)", since, COUNT)
    settled = workload.Snapshot.take(fault_plane.api_client, namespace)
    assert not settled.integrity_problems(), settled.integrity_problems()
    assert len(settled.deployments) == COUNT
    assert len(settled.services) == COUNT

    # A restart over a converged namespace must find nothing to do.
    assert op.stop() == 0, op.output()
    before = settled.versions()
    offset = audit.offset(fault_plane.audit_log)
    final = operators.start("--no-webhook")
    wait_for(
        lambda: final.output().count("Observed ModelDeployment event") >= COUNT,
        workload.converge_timeout(COUNT),
        "the restarted operator to see every ModelDeployment",
    )
    time.sleep(QUIET_SECONDS)
    after = workload.Snapshot.take(fault_plane.api_client, namespace).versions()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the restart changed {len(changed)} objects, e.g. {changed[:5]}"
    writes = [
        f"{r.verb} {r.resource}"
        for r in audit.by_operator(audit.requests_since(fault_plane.audit_log, offset))
        if r.verb in audit.WRITE_VERBS and r.namespace == namespace
    ]
    assert not writes, f"the restart wrote {len(writes)} times in the namespace: {sorted(set(writes))}"
