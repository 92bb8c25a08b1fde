"""Apply → target latency, API writes per ModelDeployment, and requests at idle.

Creates `--count` Direct vLLM ModelDeployments at `--rate` per second through the real API server
(webhook registered), times each until its Deployment exists, waits until every object settled,
then counts the operator's requests in the API server's audit log (user agents airunway-operator/*
and kopf/*): writes per ModelDeployment, and every request during `--idle` seconds of quiet.

Usage: python -m benchmarks.apply_latency [--count 30] [--rate 5] [--idle 30]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from typing import Any

from kubernetes import client, config, watch

from airunway_operator.api import constants
from benchmarks import audit
from tests.controlplane import install, plane
from tests.operator_process import Operator, deregister, webhook_answers
from tests.support import vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


def _md(name: str) -> dict[str, Any]:
    return vllm_md(name)


def _watch_deployments(
    api_client: client.ApiClient, namespace: str, seen: dict[str, float], stop: threading.Event
) -> None:
    apps = client.AppsV1Api(api_client)
    while not stop.is_set():
        for event in watch.Watch().stream(apps.list_namespaced_deployment, namespace, timeout_seconds=2):
            seen.setdefault(event["object"].metadata.name, time.monotonic())


def _settled(custom: client.CustomObjectsApi, namespace: str, count: int) -> bool:
    items = custom.list_namespaced_custom_object(G, V, namespace, MD)["items"]
    done = [i for i in items if (i.get("status") or {}).get("phase") in ("Running", "Failed")]
    return len(done) == count


def _bench_namespaces(core: client.CoreV1Api) -> list[str]:
    return [
        n.metadata.name for n in core.list_namespace().items if n.metadata.name.startswith("bench-apply-")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args()

    layout = plane.up()
    install.install_all(layout.kubeconfig)
    log = layout.logs / "audit.log"
    api_client = config.new_client_from_config(str(layout.kubeconfig))
    core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)
    op = Operator(layout.kubeconfig, layout.state / "bench-operator.log", "--register-webhook", "--quiet")
    op.wait_healthy()
    # The operator also finishes the deletion of namespaces an interrupted earlier run left behind.
    wait_for(lambda: not _bench_namespaces(core) or None, 180, "earlier benchmark namespaces to go")
    namespace = f"bench-apply-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": namespace}})
    seen: dict[str, float] = {}
    stop = threading.Event()
    try:
        wait_for(lambda: webhook_answers(api_client, namespace), 60, "the webhook to answer")
        watcher = threading.Thread(
            target=_watch_deployments, args=(api_client, namespace, seen, stop), daemon=True
        )
        watcher.start()
        time.sleep(1)
        start_offset = audit.offset(log)
        created: dict[str, float] = {}
        begin = time.monotonic()
        for i in range(args.count):
            delay = begin + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            name = f"m{i:04d}"
            custom.create_namespaced_custom_object(G, V, namespace, MD, _md(name))
            created[name] = time.monotonic()
        wait_for(lambda: len(seen) >= args.count or None, 120, "every Deployment")
        latencies = sorted((seen[n] - created[n]) * 1000 for n in created)
        wait_for(lambda: _settled(custom, namespace, args.count), 180, "every ModelDeployment to settle")
        time.sleep(3)
        writes = [
            r
            for r in audit.by_operator(audit.requests_since(log, start_offset))
            if r.verb in audit.WRITE_VERBS
        ]
        idle_offset = audit.offset(log)
        time.sleep(args.idle)
        idle = audit.by_operator(audit.requests_since(log, idle_offset))

        print(
            f"{args.count} ModelDeployments at {args.rate:g}/s (Direct vLLM, webhook on, 2-core local plane)"
        )
        print(
            f"apply -> Deployment exists: p50 {statistics.median(latencies):.0f} ms, "
            f"p90 {latencies[int(0.9 * (len(latencies) - 1))]:.0f} ms, max {latencies[-1]:.0f} ms"
        )
        print(f"operator API writes per ModelDeployment: {len(writes) / args.count:.2f}")
        for key, n in sorted(audit.summary(writes).items()):
            print(f"    {n / args.count:5.2f}  {key}")
        print(
            f"operator requests during {args.idle:.0f} s idle: {len(idle)} {dict(audit.summary(idle)) or ''}"
        )
    finally:
        stop.set()
        core.delete_namespace(namespace)  # while the operator runs, so its finalizers are released
        wait_for(lambda: not _bench_namespaces(core) or None, 180, "the benchmark namespace to go")
        op.kill()
        deregister(api_client)


if __name__ == "__main__":
    main()
