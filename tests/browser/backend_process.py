"""The backend process of the browser tests: `tests.backend.process.Backend` with nothing that may
leave the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.backend.process import Backend as BackendProcess
from tests.operator_process import free_port, tracebacks


class Backend(BackendProcess):
    """The backend, auth off unless asked for. The Hugging Face endpoint is a closed loopback port (a
    search answers "offline") and helm is a path that does not exist (an install answers the
    commands instead of fetching charts)."""

    def __init__(self, kubeconfig: Path, log: Path, settings_namespace: str, *, auth: bool = False) -> None:
        closed = free_port()  # handed out once and never bound: nothing listens there
        env = {
            "AIRUNWAY_BACKEND_AUTH": "true" if auth else "false",
            "AIRUNWAY_BACKEND_NAMESPACE": settings_namespace,
            "AIRUNWAY_BACKEND_HF_ENDPOINT": f"http://127.0.0.1:{closed}",
            "AIRUNWAY_BACKEND_HF_TIMEOUT_SECONDS": "1",
            "AIRUNWAY_BACKEND_HELM": str(log.parent / "no-helm-here"),
        }
        super().__init__(kubeconfig, log, "--host", "127.0.0.1", env=env)

    def wait_ready(self, timeout: float = 60) -> dict[str, Any]:
        """Wait for /api/health and return its answer."""
        self.wait_healthy(timeout)
        health: dict[str, Any] = self.get_json("/api/health")
        return health

    def get_json(self, path: str) -> Any:
        answer = self.get(path)
        assert answer.status == 200, f"GET {path}: {answer.status} {answer.text}"
        return answer.json()

    def put_json(self, path: str, body: Any) -> Any:
        answer = self.request("PUT", path, body)
        assert answer.status == 200, f"PUT {path}: {answer.status} {answer.text}"
        return answer.json()

    def assert_no_tracebacks(self) -> None:
        """A request that crashed answers 500 and logs a traceback; the page may not show it."""
        found = tracebacks(self.output())
        assert not found, f"the backend logged tracebacks ({self.log}):\n" + "\n\n".join(found)
