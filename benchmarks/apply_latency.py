"""Apply → target latency, API requests per ModelDeployment, and requests at idle.

Creates `--count` Direct vLLM ModelDeployments (digest-pinned image: no registry lookup) at
`--rate` per second through the real API server (webhook registered), times each until its
Deployment exists (p50, p90, p99, max), waits until every object settled, then counts the
operator's requests in the API server's audit log (user agents airunway-operator/* and kopf/*):
reads and writes per ModelDeployment with a breakdown, and every request during `--idle` seconds
of quiet. The operator runs as shipped (no --debug, unless `--debug`).

Usage: python -m benchmarks.apply_latency [--count 30] [--rate 5] [--idle 30]
"""

from __future__ import annotations

import argparse
import math
import statistics
import threading
import time
import uuid

from kubernetes import client, config, watch

from airunway_operator.api import constants
from benchmarks import audit
from benchmarks.burst import (
    bench_md,
    delete_namespaces,
    ensure_capacity,
    machine,
    per_object,
    start_operator,
    tear_down,
)
from tests.controlplane import install, plane
from tests.operator_process import webhook_answers
from tests.support import wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
PREFIX = "bench-apply-"


def _watch_deployments(
    api_client: client.ApiClient, namespace: str, seen: dict[str, float], stop: threading.Event
) -> None:
    apps = client.AppsV1Api(api_client)
    while not stop.is_set():
        for event in watch.Watch().stream(apps.list_namespaced_deployment, namespace, timeout_seconds=2):
            seen.setdefault(event["object"].metadata.name, time.monotonic())


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _settled(custom: client.CustomObjectsApi, namespace: str, count: int) -> bool:
    items = custom.list_namespaced_custom_object(G, V, namespace, MD)["items"]
    done = [i for i in items if (i.get("status") or {}).get("phase") in ("Running", "Failed")]
    return len(done) == count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--debug", action="store_true", help="run the operator with --debug (slower)")
    args = parser.parse_args()

    layout = plane.up()
    install.install_all(layout.kubeconfig)
    log = layout.logs / "audit.log"
    api_client = config.new_client_from_config(str(layout.kubeconfig))
    core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)
    op = start_operator(
        layout.kubeconfig,
        layout.state / "bench-operator.log",
        "--register-webhook",
        debug=args.debug,
        env={"AIRUNWAY_VLLM_IMAGE_RESOLUTION": "best-effort"},
    )
    namespace = f"{PREFIX}{uuid.uuid4().hex[:6]}"
    seen: dict[str, float] = {}
    stop = threading.Event()
    try:
        op.wait_healthy()
        # The operator also releases the finalizers of objects an interrupted earlier run left behind.
        delete_namespaces(core, PREFIX, 180)
        ensure_capacity(core, args.count)  # GPU nodes beyond the plane's 32 GPUs, removed at the end
        core.create_namespace({"metadata": {"name": namespace}})
        wait_for(lambda: webhook_answers(api_client, namespace), 60, "the webhook to answer")
        watcher = threading.Thread(
            target=_watch_deployments, args=(api_client, namespace, seen, stop), daemon=True
        )
        watcher.start()
        time.sleep(1)
        start_mark = audit.mark(log)
        created: dict[str, float] = {}
        begin = time.monotonic()
        for i in range(args.count):
            delay = begin + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            name = f"m{i:04d}"
            custom.create_namespaced_custom_object(G, V, namespace, MD, bench_md(name))
            created[name] = time.monotonic()
        wait_for(lambda: len(seen) >= args.count or None, 120 + args.count, "every Deployment")
        latencies = sorted((seen[n] - created[n]) * 1000 for n in created)
        wait_for(
            lambda: _settled(custom, namespace, args.count),
            180 + args.count,
            "every ModelDeployment to settle",
        )
        time.sleep(3)
        requests = audit.by_operator(audit.requests_since(log, start_mark, audit.OPERATOR_AGENTS))
        idle_mark = audit.mark(log)
        time.sleep(args.idle)
        idle = audit.by_operator(audit.requests_since(log, idle_mark, audit.OPERATOR_AGENTS))

        print(
            f"{args.count} ModelDeployments at {args.rate:g}/s (Direct vLLM, webhook on, local plane); "
            f"{machine()}"
        )
        rows = [
            ("apply -> Deployment exists, p50", f"{statistics.median(latencies):.0f} ms"),
            ("  p90", f"{_percentile(latencies, 0.90):.0f} ms"),
            ("  p99", f"{_percentile(latencies, 0.99):.0f} ms"),
            ("  max", f"{latencies[-1]:.0f} ms"),
            *per_object(requests, args.count),
            (f"operator requests during {args.idle:.0f} s idle", str(len(idle))),
        ]
        print(audit.table(("figure", "value"), rows, right=(1,)))
        print(f"\nrequests create -> settled (scope ns = {namespace}):")
        print(audit.breakdown_table(requests, args.count, namespace))
        if idle:
            print("\nidle requests:")
            print(audit.breakdown_table(idle, max(args.idle, 1) / 60, namespace, "per minute"))
    finally:
        stop.set()
        tear_down(core, api_client, op, PREFIX, 180)


if __name__ == "__main__":
    main()
