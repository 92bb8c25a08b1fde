"""The API server dies, or etcd stalls, in the middle of a burst of creates: everything converges."""

from __future__ import annotations

import time

import pytest
from kubernetes import config

from tests.controlplane import plane
from tests.faults import workload
from tests.faults.conftest import FaultPlane, Operators

COUNT = workload.scale(30)
OUTAGE_SECONDS = 3.0
FREEZE_SECONDS = 15.0


def _burst(fault_plane: FaultPlane, namespace: str) -> workload.Burst:
    # The burst's own client: it retries through the outage beside the test's polling.
    api_client = config.new_client_from_config(str(fault_plane.kubeconfig))
    return workload.Burst(api_client, namespace, workload.names(COUNT)).start()


@pytest.mark.timeout(workload.converge_timeout(COUNT) + 400)
def test_api_server_killed_mid_burst(fault_plane: FaultPlane, namespace: str, operators: Operators) -> None:
    operators.start("--no-webhook")
    burst = _burst(fault_plane, namespace)
    try:
        burst.wait_created(COUNT // 2, 120)
        plane.kill(fault_plane.layout, "kube-apiserver")
        time.sleep(OUTAGE_SECONDS)
        plane.start(fault_plane.layout, "kube-apiserver")
        restarted = time.monotonic()
        burst.join(workload.converge_timeout(COUNT))
    finally:
        plane.start(fault_plane.layout, "kube-apiserver")
        burst.api_client.close()
    names = workload.names(COUNT)
    workload.wait_converged(
        fault_plane.api_client,
        namespace,
        names,
        workload.converge_timeout(COUNT),
        "after the API server restart",
    )
    workload.figure(
        "api-server-kill", "converged after the API server restart", time.monotonic() - restarted, COUNT
    )
    problems = workload.Snapshot.take(fault_plane.api_client, namespace).integrity_problems()
    assert not problems, problems


@pytest.mark.timeout(workload.converge_timeout(COUNT) + 400)
def test_etcd_frozen_mid_burst(fault_plane: FaultPlane, namespace: str, operators: Operators) -> None:
    operators.start("--no-webhook")
    burst = _burst(fault_plane, namespace)
    try:
        burst.wait_created(COUNT // 2, 120)
        plane.freeze(fault_plane.layout, "etcd")
        try:
            time.sleep(FREEZE_SECONDS)
        finally:
            plane.thaw(fault_plane.layout, "etcd")
        thawed = time.monotonic()
        burst.join(workload.converge_timeout(COUNT))
    finally:
        burst.api_client.close()
    names = workload.names(COUNT)
    workload.wait_converged(
        fault_plane.api_client, namespace, names, workload.converge_timeout(COUNT), "after etcd thawed"
    )
    workload.figure(
        "etcd-freeze",
        f"converged after etcd thawed ({FREEZE_SECONDS:.0f} s frozen)",
        time.monotonic() - thawed,
        COUNT,
    )
    problems = workload.Snapshot.take(fault_plane.api_client, namespace).integrity_problems()
    assert not problems, problems
