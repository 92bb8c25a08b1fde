"""Fixtures of the backend's cluster tests: an operator (Direct vLLM, webhook registered) and backend
processes with auth off and on, all on the real local control plane. Every test fails when one of
them logged a traceback while it ran."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.process import Backend
from tests.conftest import Cluster
from tests.controlplane import binaries
from tests.operator_process import Operator, deregister, tracebacks, webhook_answers
from tests.support import fresh_namespace, wait_for
from tests.unit.backend.stubs import closed_port

RUNNING: list[Backend] = []


def helm_binary() -> Path:
    return binaries.cache_root() / f"helm-{binaries.versions()['HELM']}" / "helm"


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--register-webhook")
    try:
        op.wait_healthy()
        wait_for(lambda: webhook_answers(cluster.api_client, "default"), 60, "the webhook to answer")
        yield op
    finally:
        op.kill()
        deregister(cluster.api_client)
    assert not tracebacks(op.output()), op.output()


@pytest.fixture(scope="module")
def settings_namespace(cluster: Cluster) -> Iterator[str]:
    with fresh_namespace(cluster.core, "backend-") as name:
        yield name


def start(
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    settings_namespace: str,
    *args: str,
    env: dict[str, str] | None = None,
) -> Backend:
    log = tmp_path_factory.mktemp("backend") / "backend.log"
    backend = Backend(
        cluster.kubeconfig,
        log,
        *args,
        env={
            "AIRUNWAY_BACKEND_NAMESPACE": settings_namespace,
            # No test reaches the internet: the hub is a closed loopback port unless a test says otherwise.
            "AIRUNWAY_BACKEND_HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
            **(env or {}),
        },
    )
    RUNNING.append(backend)
    backend.wait_healthy()
    return backend


@pytest.fixture(scope="module")
def backend(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, settings_namespace: str
) -> Iterator[Backend]:
    """A backend with auth off (the demo's way): it acts with the plane's admin credentials. It has
    no helm, so installations answer their commands."""
    no_helm = str(tmp_path_factory.mktemp("nohelm") / "helm")
    proc = start(
        cluster, tmp_path_factory, settings_namespace, "--no-auth", env={"AIRUNWAY_BACKEND_HELM": no_helm}
    )
    yield proc
    proc.kill()
    RUNNING.remove(proc)


@pytest.fixture(scope="module")
def secure_backend(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, settings_namespace: str
) -> Iterator[Backend]:
    """A backend with auth on: every request needs a token and acts with it (helm as well)."""
    proc = start(
        cluster, tmp_path_factory, settings_namespace, env={"AIRUNWAY_BACKEND_HELM": str(helm_binary())}
    )
    yield proc
    proc.kill()
    RUNNING.remove(proc)


@pytest.fixture(autouse=True)
def backend_logs_without_tracebacks() -> Iterator[None]:
    for proc in RUNNING:
        proc.new_tracebacks()
    yield
    found = [f"{proc.log}:\n{tb}" for proc in RUNNING for tb in proc.new_tracebacks()]
    assert not found, "backend logged tracebacks:\n" + "\n\n".join(found)
