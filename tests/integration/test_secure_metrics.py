"""Secure metrics: /metrics over HTTPS answers only callers whose ServiceAccount may get /metrics."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from airunway_operator import tls
from benchmarks import audit
from tests.conftest import Cluster
from tests.controlplane import plane
from tests.operator_process import Operator
from tests.support import ignore_missing, wait_for


def get_metrics(port: int, cafile: Path, token: str | None) -> tuple[int, str]:
    """Status and body of GET https://127.0.0.1:port/metrics, verifying the server's certificate."""
    request = urllib.request.Request(f"https://127.0.0.1:{port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context(cafile=str(cafile))
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def serving(port: int, cafile: Path) -> bool:
    try:
        return get_metrics(port, cafile, None)[0] == 401
    except OSError:
        return False


def token_for(cluster: Cluster, namespace: str, account: str) -> str:
    cluster.core.create_namespaced_service_account(namespace, {"metadata": {"name": account}})
    request = {"spec": {"expirationSeconds": 600}}
    answer = cluster.core.create_namespaced_service_account_token(account, namespace, request)
    return str(answer.status.token)


@pytest.fixture
def metrics_reader(cluster: Cluster, namespace: str) -> Iterator[str]:
    """A ClusterRole allowing GET /metrics, bound to ServiceAccount `reader` of the test's namespace."""
    name = f"airunway-test-metrics-{uuid.uuid4().hex[:8]}"
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    rbac.create_cluster_role(
        {"metadata": {"name": name}, "rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}
    )
    rbac.create_cluster_role_binding(
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        }
    )
    try:
        yield token_for(cluster, namespace, "reader")
    finally:
        for delete in (rbac.delete_cluster_role_binding, rbac.delete_cluster_role):
            ignore_missing(delete, name)


def test_metrics_need_a_token_that_may_get_metrics(
    cluster: Cluster, namespace: str, metrics_reader: str, tmp_path: Path
) -> None:
    files = tls.self_signed(["127.0.0.1"], tmp_path)
    env = {"AIRUNWAY_METRICS_SECURE": "true", "AIRUNWAY_METRICS_CERT_DIR": str(tmp_path)}
    args = ("--no-webhook", "--providers", "none", "--namespace", namespace)
    op = Operator(cluster.kubeconfig, tmp_path / "operator.log", *args, env=env)
    try:
        op.wait_healthy()
        wait_for(lambda: serving(op.metrics_port, files.cafile), 30, "secure metrics to answer")
        stranger = token_for(cluster, namespace, "stranger")

        assert get_metrics(op.metrics_port, files.cafile, None)[0] == 401
        assert get_metrics(op.metrics_port, files.cafile, "not-a-token")[0] == 401
        status, body = get_metrics(op.metrics_port, files.cafile, stranger)
        assert status == 403, body
        assert f"system:serviceaccount:{namespace}:stranger" in body

        audit_log = plane.default_layout().logs / "audit.log"
        start = audit.offset(audit_log)
        scrapes = [get_metrics(op.metrics_port, files.cafile, metrics_reader) for _ in range(3)]
        for status, body in scrapes:
            assert status == 200, body
            assert "airunway_" in body
        reviews = [
            r
            for r in audit.by_operator(audit.requests_since(audit_log, start))
            if r.verb == "create" and r.resource == "tokenreviews"
        ]
        assert len(reviews) < len(scrapes)  # decisions are cached, not reviewed per scrape
        assert op.stop() == 0, op.output()
    finally:
        op.kill()


def test_plain_metrics_stay_the_default(cluster: Cluster, namespace: str, tmp_path: Path) -> None:
    args = ("--no-webhook", "--providers", "none", "--namespace", namespace)
    op = Operator(cluster.kubeconfig, tmp_path / "operator.log", *args)
    try:
        op.wait_healthy()
        url = f"http://127.0.0.1:{op.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "airunway_" in response.read().decode()
    finally:
        op.kill()
