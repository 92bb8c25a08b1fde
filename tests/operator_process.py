"""Run `airunway-operator run` as a real child process against the local control plane."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.admission import configuration
from airunway_operator.api import constants
from airunway_operator.kube import webhooks
from tests.support import REPO, wait_for

_HANDED_OUT: set[int] = set()
#: Below Linux's ephemeral range (32768-60999): a port the kernel hands out for an outgoing
#: connection in the meantime (any process's) would otherwise make the operator's bind fail.
_PORTS = range(24000, 32000)


def free_port() -> int:
    """A loopback port free now, outside the ephemeral range, never returned twice per process."""
    for _ in range(500):
        port = random.choice(_PORTS)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SilentServer:
    """Accepts TCP connections on loopback and never answers: an API server that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self._held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()
        for conn in self._held:
            conn.close()


def kubeconfig_for(path: Path, port: int) -> Path:
    """A kubeconfig for an API server on loopback `port` that is not ours (hung or absent)."""
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: elsewhere
  cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}
users:
- name: nobody
  user: {{token: "x"}}
contexts:
- name: airunway-elsewhere
  context: {{cluster: elsewhere, user: nobody}}
current-context: airunway-elsewhere
"""
    )
    return path


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


# After a clean stop, asyncio sometimes reports that kopf's own watch generator
# (kopf/_cogs/clients/watching.py, infinite_watch) did not close in time: a kopf teardown artefact
# after every task has finished (exit code 0). Only that exact report is set aside; any other
# traceback fails the test that started the process.
_KOPF_TEARDOWN = re.compile(
    r"an error occurred during closing of asynchronous generator <async_generator object infinite_watch"
    r".*?RuntimeError: generator didn't stop after athrow\(\)\n",
    re.S,
)


def without_kopf_watch_teardown(output: str) -> str:
    return _KOPF_TEARDOWN.sub("", output)


def tracebacks(output: str) -> list[str]:
    """Every traceback in an operator log, each with the lines around it."""
    text = without_kopf_watch_teardown(output)
    lines = text.splitlines()
    return ["\n".join(lines[max(i - 2, 0) : i + 25]) for i, line in enumerate(lines) if "Traceback" in line]


#: Every operator process started by the running test; tests/conftest.py checks their logs.
STARTED: list[Operator] = []


class Operator:
    """One operator process with its own health and webhook ports and a log file."""

    def __init__(self, kubeconfig: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.health_port = free_port()
        self.webhook_port = free_port()
        self.metrics_port = free_port()
        self.log = log
        self.kubeconfig = kubeconfig
        self.registers_webhook = "--register-webhook" in args
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "AIRUNWAY_HEALTH_PORT": str(self.health_port),
            "AIRUNWAY_WEBHOOK_PORT": str(self.webhook_port),
            "AIRUNWAY_METRICS_PORT": str(self.metrics_port),
            # Tests reach no public registry: Direct vLLM runs its default tag as written unless a
            # test asks for resolution (against a loopback registry) through `env`.
            "AIRUNWAY_VLLM_IMAGE_RESOLUTION": "off",
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airunway_operator", "run", "--debug", *args],
            cwd=REPO,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        STARTED.append(self)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 60) -> None:
        wait_for(
            lambda: healthy(self.health_port) or self.proc.poll() is not None, timeout, "/healthz to answer"
        )
        assert self.proc.poll() is None, self.output()

    def stop(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _webhook_probe(name: str) -> dict[str, object]:
    """A ModelDeployment only the webhook rejects (a forbidden override key)."""
    return {
        "apiVersion": f"{constants.GROUP}/{constants.VERSION}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {
            "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"},
            "engine": {"type": "vllm"},
            "provider": {"overrides": {"hostNetwork": True}},
        },
    }


def webhook_answers(api_client: client.ApiClient, namespace: str) -> bool:
    """True once the registered webhook itself denies a dry-run create."""
    try:
        client.CustomObjectsApi(api_client).create_namespaced_custom_object(
            constants.GROUP,
            constants.VERSION,
            namespace,
            constants.MODELDEPLOYMENT_PLURAL,
            _webhook_probe("webhook-probe"),
            dry_run="All",
        )
    except ApiException as err:
        return "admission webhook" in str(err.body) and "denied" in str(err.body)
    return False


def registration_exists(api_client: client.ApiClient) -> bool:
    try:
        client.AdmissionregistrationV1Api(api_client).read_validating_webhook_configuration(
            configuration.NAME
        )
    except ApiException as err:
        if err.status == 404:
            return False
        raise
    return True


def deregister(api_client: client.ApiClient) -> None:
    """Remove the webhook registration a killed operator left behind."""
    webhooks.deregister(api_client, configuration.NAME)


def admission_review(
    body: Any, operation: str = "CREATE", old: Any = None, namespace: str = "default"
) -> dict[str, Any]:
    """An AdmissionReview request for a ModelDeployment, as the API server would send it."""
    request: dict[str, Any] = {
        "uid": str(uuid.uuid4()),
        "kind": {
            "group": constants.GROUP,
            "version": constants.VERSION,
            "kind": constants.MODELDEPLOYMENT_KIND,
        },
        "resource": {
            "group": constants.GROUP,
            "version": constants.VERSION,
            "resource": constants.MODELDEPLOYMENT_PLURAL,
        },
        "operation": operation,
        "namespace": namespace,
        "userInfo": {"username": "tests"},
        "object": body,
        "dryRun": True,
    }
    if old is not None:
        request["oldObject"] = old
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


class WebhookClient:
    """Posts AdmissionReviews straight to the operator's webhook server over one TLS connection."""

    def __init__(self, port: int, cafile: Path) -> None:
        self._port = port
        self._context = ssl.create_default_context(cafile=str(cafile))
        self._conn = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self._port, context=self._context, timeout=10)

    def post(self, review: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            self._conn.request(
                "POST",
                configuration.MODELDEPLOYMENT_PATH,
                body=json.dumps(review).encode(),
                headers={"Content-Type": "application/json"},
            )
            response = self._conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self._conn.close()
            self._conn = self._connect()  # a broken connection must not poison the next request
            raise
        return response.status, json.loads(payload) if payload else {}

    def answers(self) -> bool:
        """True once the webhook server accepts a review (it starts after /healthz answers)."""
        try:
            status, _ = self.post(admission_review({"metadata": {"name": "probe"}, "spec": {}}))
        except (OSError, http.client.HTTPException):
            return False
        return status == 200

    def close(self) -> None:
        self._conn.close()
