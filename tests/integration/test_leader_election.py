"""Two operator replicas with leader election: one reconciles, both answer the webhook, and when the
leader is killed the other takes over within the lease duration without writing anything twice."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import tls
from airunway_operator.api import constants
from airunway_operator.reconcile import leader
from tests.conftest import Cluster
from tests.controlplane import plane
from tests.operator_process import Operator, WebhookClient, admission_review
from tests.support import refusal_policy, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
ACQUIRED = "Acquired leader lease"
#: Lease expiry, then up to two retry periods for the follower to notice, plus a slow machine's slack.
TAKEOVER_DEADLINE = leader.LEASE_DURATION + 2 * leader.RETRY_PERIOD + 20


class Replicas:
    """Operator processes of one test that share a Lease in the test's namespace."""

    def __init__(self, cluster: Cluster, namespace: str, folder: Path) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.folder = folder
        self.lease = f"airunway-test-{uuid.uuid4().hex[:8]}"
        self.files = tls.self_signed(["127.0.0.1"], folder)
        self.started: list[Operator] = []

    def start(self, name: str, *, flag: bool = False) -> Operator:
        """A replica with leader election turned on by AIRUNWAY_LEADER_ELECT, or by --leader-elect."""
        env = {
            "AIRUNWAY_LEADER_ELECT": "false" if flag else "true",
            "AIRUNWAY_LEADER_ELECTION_ID": self.lease,
            "AIRUNWAY_LEADER_ELECTION_NAMESPACE": self.namespace,
            "AIRUNWAY_WEBHOOK_CERT_DIR": str(self.folder),
            "AIRUNWAY_HEARTBEAT_SECONDS": "0",
        }
        args = ("--providers", "vllm", "--namespace", self.namespace, *(("--leader-elect",) if flag else ()))
        op = Operator(self.cluster.kubeconfig, self.folder / f"{name}.log", *args, env=env)
        self.started.append(op)
        return op

    def holder(self) -> str:
        try:
            lease = client.CoordinationV1Api(self.cluster.api_client).read_namespaced_lease(
                self.lease, self.namespace
            )
        except ApiException as err:
            if err.status == 404:
                return ""
            raise
        return str(lease.spec.holder_identity or "")


@pytest.fixture
def replicas(cluster: Cluster, namespace: str, tmp_path: Path) -> Iterator[Replicas]:
    found = Replicas(cluster, namespace, tmp_path)
    yield found
    for op in found.started:
        op.kill()


def identity_in(op: Operator) -> str | None:
    """The identity this process logged when it acquired the Lease, if it did."""
    for line in op.output().splitlines():
        if ACQUIRED in line:
            return line.rsplit(" as ", 1)[1].strip()
    return None


def running(cluster: Cluster, namespace: str, name: str) -> bool:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return (body.get("status") or {}).get("phase") == "Running"


def denied_by(webhook: WebhookClient, namespace: str) -> bool:
    """The process's own webhook server rejects a ModelDeployment only the webhook rejects."""
    body = vllm_md("probe")
    body["metadata"].update({"namespace": namespace, "uid": str(uuid.uuid4())})
    body["spec"]["provider"]["overrides"] = {"hostNetwork": True}
    status, answer = webhook.post(admission_review(body, namespace=namespace))
    return status == 200 and answer["response"]["allowed"] is False


def deployment_creates(audit_log: Path, start: int, namespace: str) -> Counter[str]:
    """Successful creates of Deployments in `namespace` since byte `start` of the audit log, by name."""
    creates: Counter[str] = Counter()
    with audit_log.open("rb") as handle:
        handle.seek(start)
        lines = handle.read().decode(errors="replace").splitlines()
    for line in lines:
        try:
            event: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        ref = event.get("objectRef") or {}
        if (
            event.get("stage") == "ResponseComplete"
            and event.get("verb") == "create"
            and ref.get("resource") == "deployments"
            and ref.get("namespace") == namespace
            and (event.get("responseStatus") or {}).get("code") == 201
        ):
            creates[ref.get("name", "?")] += 1
    return creates


def test_one_leader_reconciles_and_the_other_takes_over_when_it_is_killed(
    cluster: Cluster, namespace: str, replicas: Replicas
) -> None:
    audit_log = plane.default_layout().logs / "audit.log"
    audit_start = audit_log.stat().st_size
    first, second = replicas.start("first"), replicas.start("second")
    first.wait_healthy()
    second.wait_healthy()

    elected = wait_for(
        lambda: [op for op in (first, second) if identity_in(op)], 60, "one replica to acquire the Lease"
    )
    assert len(elected) == 1, "both replicas hold the Lease"
    lead = elected[0]
    follower = second if lead is first else first
    assert replicas.holder() == identity_in(lead)
    assert "Waiting to acquire leader lease" in follower.output()

    # every replica serves the admission webhook, leader or not
    for op in (lead, follower):
        webhook = WebhookClient(op.webhook_port, replicas.files.cafile)
        try:
            wait_for(webhook.answers, 60, f"the webhook of {op.log.name} to answer")
            assert denied_by(webhook, replicas.namespace)
        finally:
            webhook.close()

    cluster.custom.create_namespaced_custom_object(G, V, replicas.namespace, MD, vllm_md("before"))
    wait_for(lambda: running(cluster, replicas.namespace, "before"), 90, "the first ModelDeployment to run")
    created = f"Created Deployment {replicas.namespace}/before"
    assert created in lead.output()
    assert created not in follower.output()
    assert "Operator started" not in follower.output()

    lead.kill()  # SIGKILL: no release, the follower must wait for the Lease to expire
    wait_for(lambda: identity_in(follower), TAKEOVER_DEADLINE, "the follower to take the Lease over")
    assert replicas.holder() == identity_in(follower)

    cluster.custom.create_namespaced_custom_object(G, V, replicas.namespace, MD, vllm_md("after"))
    wait_for(lambda: running(cluster, replicas.namespace, "after"), 90, "the second ModelDeployment to run")
    assert f"Created Deployment {replicas.namespace}/after" in follower.output()
    # the new leader re-examined the first ModelDeployment and found nothing to create
    assert created not in follower.output()
    assert running(cluster, replicas.namespace, "before")

    # a clean stop releases the Lease at once
    assert follower.stop() == 0, follower.output()
    assert replicas.holder() == ""
    assert "At exit: leader lease" in follower.output()

    assert deployment_creates(audit_log, audit_start, replicas.namespace) == Counter(before=1, after=1)


def test_a_leader_that_loses_its_lease_stops_reconciling_and_exits(
    cluster: Cluster, namespace: str, replicas: Replicas
) -> None:
    only = replicas.start("only", flag=True)
    only.wait_healthy()
    wait_for(lambda: identity_in(only), 60, "the replica to acquire the Lease")

    # Someone else takes the Lease (as a replica would after a network partition).
    api = client.CoordinationV1Api(cluster.api_client)
    lease = api.read_namespaced_lease(replicas.lease, namespace)
    lease.spec.holder_identity = "elsewhere_0"
    lease.spec.lease_duration_seconds = 3600
    api.replace_namespaced_lease(replicas.lease, namespace, lease)

    assert only.proc.wait(timeout=60) == 1, only.output()
    assert "Lost leader lease" in only.output()
    assert replicas.holder() == "elsewhere_0"  # a process that lost the Lease never releases it

    # a follower does not reconcile: nothing happens to a new ModelDeployment while the Lease is held
    follower = replicas.start("follower")
    follower.wait_healthy()
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("held"))
    wait_for(lambda: "Observed ModelDeployment event" in follower.output(), 30, "the follower to see it")
    assert "Operator started" not in follower.output()
    assert not cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "held").get("status")

    # once the Lease is free, the follower leads and reconciles what it saw while following
    lease = api.read_namespaced_lease(replicas.lease, namespace)
    lease.spec.holder_identity = ""
    api.replace_namespaced_lease(replicas.lease, namespace, lease)
    wait_for(lambda: identity_in(follower), 30, "the follower to acquire the free Lease")
    wait_for(lambda: running(cluster, namespace, "held"), 90, "the held ModelDeployment to run")


def test_a_leader_that_cannot_renew_within_the_deadline_stops(
    cluster: Cluster, namespace: str, replicas: Replicas
) -> None:
    only = replicas.start("only")
    only.wait_healthy()
    wait_for(lambda: identity_in(only), 60, "the replica to acquire the Lease")

    # The API server refuses every update of Leases in this namespace from now on.
    rule = {
        "apiGroups": ["coordination.k8s.io"],
        "apiVersions": ["v1"],
        "operations": ["UPDATE"],
        "resources": ["leases"],
    }
    name = f"airunway-test-deny-leases-{uuid.uuid4().hex[:8]}"
    with refusal_policy(cluster.api_client, name, namespace, rule, "false", "renewals refused by the test"):
        wait_for(lambda: only.proc.poll() is not None, 60, "the leader to give up")
        assert only.proc.returncode == 1, only.output()
        assert f"not renewed for {leader.RENEW_DEADLINE:g}s" in only.output()
        assert (
            f"Leader lease {namespace}/{replicas.lease}: UnprocessableEntityException: (422)" in only.output()
        )
