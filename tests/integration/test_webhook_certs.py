"""The operator-managed webhook certificate rotates while the API server keeps calling the webhook.

The operator keeps its certificate in a Secret of the test namespace with a 30 s validity, so the
serving certificate is re-issued every ~20 s; a ValidatingWebhookConfiguration of this test (its
own name, scoped to the test namespace, `failurePolicy: Fail`) points at the operator's loopback
port. The operator itself writes the caBundle into it. While the serving certificate rotates twice,
dry-run creates every 100 ms must each be answered by our webhook: admitted, or denied by it, never
"failed calling webhook". Meanwhile a second client opens a fresh TLS connection to the webhook
port every 10 ms: the renewed certificate is loaded into the live server, so not one connection is
refused or fails its handshake.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import http.client
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest
from cryptography import x509
from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import certs_policy
from airunway_operator.admission import configuration
from airunway_operator.api import constants
from airunway_operator.kube import webhooks
from airunway_operator.reconcile.certs import CertRotator
from airunway_operator.webhook_cert_settings import CertSettings
from tests.conftest import Cluster
from tests.operator_process import Operator, admission_review, free_port, webhook_answers
from tests.support import MODEL_ID, wait_for

SECRET = "airunway-webhook-cert"
VALIDITY_SECONDS = 30


def _configuration(name: str, namespace: str, port: int) -> dict[str, Any]:
    """The shipped configuration at a loopback URL without a caBundle, touching only this test."""
    body = configuration.validating_configuration(
        configuration.url_client_config(f"https://127.0.0.1:{port}", b"")
    )
    body["metadata"]["name"] = name
    md, ipc = body["webhooks"]
    for webhook in body["webhooks"]:
        del webhook["clientConfig"]["caBundle"]
    md["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
    # InferenceProviderConfigs are cluster-scoped: a label no object carries keeps other tests out.
    ipc["objectSelector"] = {"matchLabels": {"airunway.ai/webhook-cert-test": namespace}}
    return body


def _md(name: str, *, refused: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "model": {"id": MODEL_ID},
        "engine": {"type": "vllm"},
        "resources": {"gpu": {"count": 1}},
    }
    if refused:
        spec["provider"] = {"overrides": {"hostNetwork": True}}  # only the webhook refuses this
    return {
        "apiVersion": f"{constants.GROUP}/{constants.VERSION}",
        "kind": constants.MODELDEPLOYMENT_KIND,
        "metadata": {"name": name},
        "spec": spec,
    }


class _Background:
    """A loop in a daemon thread for the length of a `with` block; `_run` checks `_stop`."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


class Traffic(_Background):
    """Dry-run creates through the API server every 100 ms, each outcome recorded."""

    def __init__(self, api_client: client.ApiClient, namespace: str) -> None:
        self._api = client.CustomObjectsApi(api_client)
        self._namespace = namespace
        self.admitted = 0
        self.denied = 0
        self.failures: list[str] = []
        super().__init__()

    def _run(self) -> None:
        sequence = 0
        while not self._stop.is_set():
            sequence += 1
            refused = sequence % 2 == 0
            try:
                self._api.create_namespaced_custom_object(
                    constants.GROUP,
                    constants.VERSION,
                    self._namespace,
                    constants.MODELDEPLOYMENT_PLURAL,
                    _md(f"rotation-{sequence}", refused=refused),
                    dry_run="All",
                )
                self.admitted += 1
            except ApiException as err:
                body = str(err.body)
                if refused and "admission webhook" in body and "denied the request" in body:
                    self.denied += 1
                else:
                    self.failures.append(f"{err.status}: {body[:400]}")
            except Exception as err:  # the API server itself must answer every request
                self.failures.append(repr(err))
            self._stop.wait(0.1)


class Handshakes(_Background):
    """A new TLS connection and review straight to the webhook port every 10 ms."""

    def __init__(self, port: int, ca_bundle: bytes) -> None:
        self._port = port
        self._context = ssl.create_default_context(cadata=ca_bundle.decode())
        self.answered = 0
        self.failures: list[str] = []
        #: Every distinct certificate the server presented, in order.
        self.served: list[bytes] = []
        super().__init__()

    def _run(self) -> None:
        review = json.dumps(admission_review({"metadata": {"name": "probe"}, "spec": {}})).encode()
        while not self._stop.is_set():
            conn = http.client.HTTPSConnection("127.0.0.1", self._port, context=self._context, timeout=10)
            try:
                conn.request("POST", configuration.MODELDEPLOYMENT_PATH, body=review)
                assert isinstance(conn.sock, ssl.SSLSocket)
                served = conn.sock.getpeercert(binary_form=True)
                if served and served not in self.served:
                    self.served.append(served)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    self.answered += 1
                else:
                    self.failures.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as err:
                self.failures.append(repr(err))
            finally:
                conn.close()
            self._stop.wait(0.01)


def _tls_crt(cluster: Cluster, namespace: str) -> bytes | None:
    try:
        secret = cluster.core.read_namespaced_secret(SECRET, namespace)
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    return bytes(secret.data["tls.crt"], "ascii")


@pytest.fixture
def webhook_configuration(cluster: Cluster, namespace: str) -> Iterator[tuple[str, int]]:
    name = f"airunway-cert-test-{namespace}"
    port = free_port()
    api = client.AdmissionregistrationV1Api(cluster.api_client)
    api.create_validating_webhook_configuration(_configuration(name, namespace, port))
    try:
        yield name, port
    finally:
        # A leftover failurePolicy: Fail configuration would refuse writes of later tests.
        webhooks.deregister(cluster.api_client, name)


def test_serving_certificate_rotates_twice_without_a_failed_admission(
    cluster: Cluster, namespace: str, webhook_configuration: tuple[str, int], tmp_path: Path
) -> None:
    name, port = webhook_configuration
    op = Operator(
        cluster.kubeconfig,
        tmp_path / "operator.log",
        "--no-core",
        "--providers",
        "none",
        env={
            "AIRUNWAY_WEBHOOK_PORT": str(port),
            "AIRUNWAY_WEBHOOK_CERT_MODE": "managed",
            "AIRUNWAY_WEBHOOK_NAMESPACE": namespace,
            "AIRUNWAY_WEBHOOK_CONFIGURATION_NAME": name,
            "AIRUNWAY_WEBHOOK_CERT_VALIDITY_SECONDS": str(VALIDITY_SECONDS),
            "AIRUNWAY_WEBHOOK_CERT_EXTRA_HOSTS": "127.0.0.1,localhost",
            "AIRUNWAY_WEBHOOK_CERT_LOCAL_DIR": str(tmp_path / "serving"),
        },
    )
    op.wait_healthy()
    first = wait_for(
        lambda: _tls_crt(cluster, namespace), 60, "the operator to create its certificate Secret"
    )
    # Answers only once the operator has written the Secret's CA into our configuration.
    wait_for(lambda: webhook_answers(cluster.api_client, namespace), 60, "the webhook to deny a probe")
    ca_before = cluster.core.read_namespaced_secret(SECRET, namespace).data["ca.crt"]

    seen = [first]
    with (
        Traffic(cluster.api_client, namespace) as traffic,
        Handshakes(port, base64.b64decode(ca_before)) as direct,
    ):

        def rotated_twice() -> bool:
            current = _tls_crt(cluster, namespace)
            if current is not None and current != seen[-1]:
                seen.append(current)
            return len(seen) >= 3

        wait_for(rotated_twice, 4 * VALIDITY_SECONDS, "two rotations of the serving certificate", interval=1)
        time.sleep(2)  # a few more requests against the last certificate

    assert traffic.failures == [], f"{len(traffic.failures)} failed admissions: {traffic.failures[:5]}"
    assert traffic.admitted > 10
    assert direct.failures == [], f"{len(direct.failures)} failed connections: {direct.failures[:5]}"
    assert direct.answered > 100
    # The live server presented each renewed certificate, without a restart of the process.
    assert len(direct.served) >= 3
    assert traffic.denied > 10
    secret = cluster.core.read_namespaced_secret(SECRET, namespace)
    assert secret.type == "kubernetes.io/tls"
    assert secret.data["ca.crt"] == ca_before  # only the serving certificate rotated
    live = client.AdmissionregistrationV1Api(cluster.api_client).read_validating_webhook_configuration(name)
    assert [w.client_config.ca_bundle for w in live.webhooks] == [ca_before, ca_before]
    assert "Webhook certificate Secret" in op.output()
    assert op.stop() == 0, op.output()[-3000:]


def test_replicas_racing_for_the_secret_all_serve_the_one_that_won(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    settings = CertSettings.from_env(
        {
            "AIRUNWAY_WEBHOOK_CERT_MODE": "managed",
            "AIRUNWAY_WEBHOOK_NAMESPACE": namespace,
            "AIRUNWAY_WEBHOOK_CONFIGURATION_NAME": f"absent-{namespace}",
            "AIRUNWAY_WEBHOOK_CERT_VALIDITY_SECONDS": "6",
        }
    )
    replicas = []
    for index in range(3):
        (tmp_path / str(index)).mkdir()
        replicas.append(CertRotator(cluster.api_client, settings, tmp_path / str(index)))

    def race() -> tuple[bytes, bytes]:
        async def prepare_all() -> None:
            await asyncio.gather(*(replica.prepare() for replica in replicas))

        asyncio.run(prepare_all())
        secret = cluster.core.read_namespaced_secret(SECRET, namespace)
        stored = base64.b64decode(secret.data["tls.crt"]), base64.b64decode(secret.data["ca.crt"])
        for replica in replicas:
            assert (replica.files.certfile.read_bytes(), replica.files.cafile.read_bytes()) == stored
        return stored

    # Three replicas create the Secret at once: one create wins, the others adopt it.
    created, ca = race()
    # All three find the serving certificate due at the same moment: one renewal wins.
    due = certs_policy.renewal_time(x509.load_pem_x509_certificate(created))
    wait_for(lambda: datetime.datetime.now(datetime.UTC) > due, 10, "the renewal time")
    renewed, ca_after = race()
    assert renewed != created
    assert ca_after == ca
