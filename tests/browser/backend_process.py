"""Run `airunway-backend` as a real child process on a free loopback port, against the local plane."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.operator_process import free_port, tracebacks
from tests.support import REPO, wait_for


def _health(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as resp:
            body: dict[str, Any] = json.loads(resp.read())
            return body
    except OSError:
        return None


class Backend:
    """The backend, auth off unless asked for. Nothing it does may leave the machine: the Hugging
    Face endpoint is a closed loopback port (a search answers "offline") and helm is a path that does
    not exist (an install answers the commands instead of fetching charts)."""

    def __init__(self, kubeconfig: Path, log: Path, settings_namespace: str, *, auth: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        closed = free_port()  # handed out once and never bound: nothing listens there
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "AIRUNWAY_BACKEND_AUTH": "true" if auth else "false",
            "AIRUNWAY_BACKEND_NAMESPACE": settings_namespace,
            "AIRUNWAY_BACKEND_HF_ENDPOINT": f"http://127.0.0.1:{closed}",
            "AIRUNWAY_BACKEND_HF_TIMEOUT_SECONDS": "1",
            "AIRUNWAY_BACKEND_HELM": str(log.parent / "no-helm-here"),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airunway_backend", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> dict[str, Any]:
        def answered() -> dict[str, Any] | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"the backend exited during start-up:\n{self.output()}")
            return _health(self.url)

        return wait_for(answered, timeout, "the backend's /api/health")

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as resp:
            return json.loads(resp.read())

    def put_json(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def assert_no_tracebacks(self) -> None:
        """A request that crashed answers 500 and logs a traceback; the page may not show it."""
        found = tracebacks(self.output())
        assert not found, f"the backend logged tracebacks ({self.log}):\n" + "\n\n".join(found)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
