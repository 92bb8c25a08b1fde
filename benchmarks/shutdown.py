"""SIGTERM → process gone, for a healthy API server, one that hangs and one that refuses connections.

Each case starts `airunway-operator run --register-webhook` (so the stop has last writes to make:
providers `ready: false` and the webhook registration), waits until it is healthy, sends SIGTERM
and measures until the process has exited. The healthy case needs the local control plane
(`make cluster-up`); the other two need nothing.

Usage: python -m benchmarks.shutdown [--runs 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from tests.controlplane import plane
from tests.operator_process import Operator, free_port


def _silent_server() -> tuple[socket.socket, int]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(sock.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return sock, int(sock.getsockname()[1])


def _kubeconfig(path: Path, port: int) -> Path:
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}
users:
- name: u
  user: {{token: "x"}}
contexts:
- name: airunway-bench
  context: {{cluster: c, user: u}}
current-context: airunway-bench
"""
    )
    return path


def _stop_seconds(kubeconfig: Path, log: Path) -> tuple[float, int]:
    op = Operator(kubeconfig, log, "--register-webhook", "--quiet")
    try:
        op.wait_healthy()
        time.sleep(2)
        started = time.monotonic()
        op.proc.terminate()
        code = op.proc.wait(timeout=60)
        return time.monotonic() - started, code
    finally:
        op.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="airunway-bench-shutdown-"))
    layout = plane.default_layout()
    cases: dict[str, Path] = {}
    if plane.is_running(layout):
        cases["healthy API server"] = layout.kubeconfig
    silent, hung_port = _silent_server()
    cases["API server hangs"] = _kubeconfig(work / "hung.kubeconfig", hung_port)
    cases["API server refuses"] = _kubeconfig(work / "refused.kubeconfig", free_port())
    print(f"SIGTERM -> exit, {args.runs} runs each (bound: 10 s)")
    try:
        for name, kubeconfig in cases.items():
            results = [_stop_seconds(kubeconfig, work / f"{name}-{i}.log") for i in range(args.runs)]
            seconds = [s for s, _ in results]
            codes = sorted({c for _, c in results})
            print(
                f"  {name:<20} median {statistics.median(seconds):5.2f} s, max {max(seconds):5.2f} s, "
                f"exit codes {codes}"
            )
    finally:
        silent.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
