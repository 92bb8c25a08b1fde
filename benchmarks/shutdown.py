"""SIGTERM → process gone, for a healthy API server, one that hangs and one that refuses connections.

Each case starts `airunway-operator run --register-webhook` (so the stop has last writes to make:
providers `ready: false` and the webhook registration), waits until it is healthy, sends SIGTERM
and measures until the process has exited. The healthy case needs the local control plane
(`make cluster-up`); the other two need nothing.

Usage: python -m benchmarks.shutdown [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.controlplane import plane
from tests.operator_process import Operator, SilentServer, free_port, kubeconfig_for


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
    silent = SilentServer()
    cases["API server hangs"] = kubeconfig_for(work / "hung.kubeconfig", silent.port)
    cases["API server refuses"] = kubeconfig_for(work / "refused.kubeconfig", free_port())
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
