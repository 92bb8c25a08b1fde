"""`airunway-operator run` starts against the local plane, watches both kinds and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.support import REPO, wait_for


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


class Operator:
    def __init__(self, cluster: Cluster, log: Path, *args: str) -> None:
        self.port = _free_port()
        self.log = log
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "AIRUNWAY_HEALTH_PORT": str(self.port)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airunway_operator", "run", "--debug", *args],
            cwd=REPO,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def operator_factory(cluster: Cluster, tmp_path: Path) -> Iterator[list[Operator]]:
    started: list[Operator] = []
    yield started
    for op in started:
        if op.proc.poll() is None:
            op.proc.kill()
            op.proc.wait()


def _md(name: str) -> dict[str, object]:
    return {
        "apiVersion": f"{constants.GROUP}/{constants.VERSION}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "engine": {"type": "vllm"}},
    }


@pytest.mark.parametrize("scope", ["cluster-wide", "namespaced"])
def test_operator_starts_watches_both_kinds_and_stops_on_sigterm(
    cluster: Cluster, namespace: str, operator_factory: list[Operator], tmp_path: Path, scope: str
) -> None:
    args = ("--namespace", namespace) if scope == "namespaced" else ()
    op = Operator(cluster, tmp_path / "operator.log", *args)
    operator_factory.append(op)
    wait_for(lambda: _healthy(op.port) or op.proc.poll() is not None, 60, "/healthz to answer")
    assert op.proc.poll() is None, op.output()

    cluster.custom.create_namespaced_custom_object(
        constants.GROUP, constants.VERSION, namespace, constants.MODELDEPLOYMENT_PLURAL, _md("watched")
    )
    wait_for(
        lambda: "Observed ModelDeployment event" in op.output(), 30, "the operator to see the ModelDeployment"
    )
    assert (
        f"Watching for {constants.PROVIDERCONFIG_PLURAL}" in op.output()
        or "inferenceproviderconfigs" in op.output()
    )

    assert op.stop() == 0, op.output()
    assert not _healthy(op.port)
    assert "Traceback" not in op.output(), op.output()
