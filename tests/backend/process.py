"""Run `airunway-backend` as a real child process against the local control plane."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.operator_process import free_port, tracebacks
from tests.support import REPO, wait_for


class Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.text = body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.text)


class Backend:
    """One backend process on a free loopback port, logging to `log`."""

    def __init__(self, kubeconfig: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = log
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airunway_backend", "--port", str(self.port), *args],
            cwd=REPO,
            env={**os.environ, "KUBECONFIG": str(kubeconfig), **(env or {})},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.checked = 0  # how much of the log was already searched for tracebacks

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def new_tracebacks(self) -> list[str]:
        """Tracebacks logged since the last call."""
        text = self.output()
        found, self.checked = tracebacks(text[self.checked :]), len(text)
        return found

    def wait_healthy(self, timeout: float = 30) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                return True
            try:
                return self.request("GET", "/api/health").status == 200
            except OSError:
                return False

        wait_for(up, timeout, "the backend to answer /api/health")
        assert self.proc.poll() is None, self.output()

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return Answer(resp.status, resp.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, err.read())

    def get(self, path: str, token: str | None = None) -> Answer:
        return self.request("GET", path, token=token)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
