"""End to end on the local control plane: a Service is created beside the provider's pass
(`TargetKind.create_aside`), so a slow or refused Service never holds the Deployment back, and a
refused one still reaches status and converges once allowed."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import tls
from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import get_or_none, refusal_policy, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
REFUSAL = "service creates are refused in this namespace (test policy)"
#: How long the slow webhook holds each Service create of the test namespace.
HOLD_SECONDS = 8.0


class _SlowAdmission(BaseHTTPRequestHandler):
    """Admits everything, HOLD_SECONDS late: an API server slow to create Services."""

    def do_POST(self) -> None:
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(HOLD_SECONDS)
        answer = json.dumps(
            {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "response": {"uid": review["request"]["uid"], "allowed": True},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def slow_services(cluster: Cluster, namespace: str, tmp_path: Path) -> Iterator[None]:
    """Service creates in `namespace` answered HOLD_SECONDS late by a validating webhook."""
    files = tls.self_signed(["127.0.0.1"], tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowAdmission)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.certfile, files.keyfile)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    name = f"slow-services-{namespace}"
    webhook = {
        "name": "slow-services.test.airunway.ai",
        "clientConfig": {
            "url": f"https://127.0.0.1:{server.server_address[1]}/",
            "caBundle": base64.b64encode(files.cafile.read_bytes()).decode(),
        },
        "rules": [
            {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["services"]}
        ],
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "timeoutSeconds": 15,
        "failurePolicy": "Fail",
    }
    admission = client.AdmissionregistrationV1Api(cluster.api_client)
    admission.create_validating_webhook_configuration({"metadata": {"name": name}, "webhooks": [webhook]})
    try:
        yield
    finally:
        admission.delete_validating_webhook_configuration(name)
        server.shutdown()


@pytest.fixture
def services_refused(cluster: Cluster, namespace: str) -> Iterator[Any]:
    rule = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["services"]}
    with refusal_policy(
        cluster.api_client, f"refuse-services-{namespace}", namespace, rule, "false", REFUSAL
    ) as lift:
        probe = {"metadata": {"name": "probe"}, "spec": {"ports": [{"port": 80}]}}

        def refused() -> bool:
            try:
                cluster.core.create_namespaced_service(namespace, probe, dry_run="All")
            except ApiException as err:
                return err.status in (400, 403, 422)
            return False

        wait_for(refused, 30, "the admission policy to take effect")
        yield lift


@pytest.fixture
def operator(cluster: Cluster, tmp_path: Path) -> Iterator[Operator]:
    """Direct vLLM alone; started after the test's admission fixture (pytest orders by argument)."""
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


def test_a_refused_service_leaves_the_deployment_in_place_says_why_and_converges_once_allowed(
    cluster: Cluster, namespace: str, services_refused: Any, operator: Operator
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("aside"))

    def explained() -> dict[str, Any] | None:
        body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "aside")
        status = body.get("status") or {}
        return status if REFUSAL in (status.get("message") or "") else None

    status = wait_for(explained, 60, "status to name the refused Service")
    conditions = {c["type"]: c for c in status.get("conditions") or ()}
    assert conditions["ResourceCreated"]["status"] == "False", conditions
    assert REFUSAL in conditions["ResourceCreated"]["message"]
    # The Deployment did not wait for the Service.
    assert get_or_none(cluster.apps.read_namespaced_deployment, "aside", namespace) is not None
    assert get_or_none(cluster.core.read_namespaced_service, "aside", namespace) is None

    services_refused()  # lift; the retries alone converge it

    def running() -> dict[str, Any] | None:
        body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "aside")
        return body if (body.get("status") or {}).get("phase") == "Running" else None

    wait_for(running, 120, "the ModelDeployment to run once Services are allowed")
    service = cluster.core.read_namespaced_service("aside", namespace)
    assert service.metadata.owner_references[0].name == "aside"
    assert service.spec.ports[0].port == 8000


def test_a_slow_service_create_holds_neither_the_deployment_nor_the_status(
    cluster: Cluster, namespace: str, slow_services: None, operator: Operator
) -> None:
    started = time.monotonic()
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("slow"))

    def reported() -> dict[str, Any] | None:
        body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "slow")
        status = body.get("status") or {}
        created = [c for c in status.get("conditions") or () if c["type"] == "ResourceCreated"]
        return status if created and created[0]["status"] == "True" else None

    status = wait_for(reported, 60, "status to report the Deployment")
    # Written while the Service create is still held: the pass did not wait for it.
    assert time.monotonic() - started < HOLD_SECONDS, status
    assert get_or_none(cluster.core.read_namespaced_service, "slow", namespace) is None
    assert status["phase"] in ("Deploying", "Running")
    assert get_or_none(cluster.apps.read_namespaced_deployment, "slow", namespace) is not None
    service = wait_for(
        lambda: get_or_none(cluster.core.read_namespaced_service, "slow", namespace),
        HOLD_SECONDS + 30,
        "the Service, once its create is answered",
    )
    assert service.metadata.owner_references[0].name == "slow"
