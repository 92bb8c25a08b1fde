"""`airunway-backend` as a process, without a cluster: the loud warning with auth off, an API server
that cannot be reached, no Kubernetes configuration at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.operator_process import free_port, kubeconfig_for
from tests.support import REPO, wait_for
from tests.unit.backend.stubs import closed_port


def health(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as resp:
            answer: dict[str, Any] = json.loads(resp.read())
            return answer
    except OSError:
        return None


def test_auth_off_says_so_loudly_and_health_reports_an_unreachable_cluster(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "backend.log"
    env = {**os.environ, "KUBECONFIG": str(kubeconfig_for(tmp_path / "kubeconfig", closed_port()))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "airunway_backend", "--port", str(port), "--no-auth"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:

        def answered() -> dict[str, Any] | None:
            return {"status": "exited"} if proc.poll() is not None else health(port)

        answer = wait_for(answered, 30, "the backend to answer /api/health")
        assert answer["status"] == "unavailable", log.read_text()
        assert answer["auth"] == {"enabled": False}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    output = log.read_text()
    assert "WARNING airunway_backend: AUTHENTICATION IS OFF" in output
    assert "Traceback" not in output


def test_without_any_kubernetes_configuration_it_exits_with_a_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "airunway_backend", "--port", str(free_port())],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no Kubernetes configuration" in done.stderr
    assert "Traceback" not in done.stderr
