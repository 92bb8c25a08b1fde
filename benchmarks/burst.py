"""A burst of ModelDeployments created at once: time to Deployments and Running, operator CPU,
and the operator's API requests per ModelDeployment with a per-request-type breakdown.

Creates `--count` Direct vLLM ModelDeployments (1 GPU each, a digest-pinned image so no registry
is asked) concurrently from `--workers` client threads through the real API server (webhook
registered), then measures from the first create:

* until every Deployment exists, and until every ModelDeployment is `Running`;
* settled: every ModelDeployment Running and the operator silent (no request but open watches)
  for `--quiet` seconds;
* the operator's CPU seconds over create → settled (utime + stime of /proc/<pid>/stat);
* its API requests over create → settled, counted from the API server's audit log by user agent
  (`airunway-operator/*`, `kopf/*`): reads (get, list), watches, writes and Events, per
  ModelDeployment, and a breakdown by verb + resource + subresource;
* optionally (`--idle`) requests and CPU over an idle window after settling.

The local plane's four kwok GPU nodes (32 GPUs) are too few for a burst; the benchmark adds
`kwok-gpu-bench-*` nodes (64 GPUs, 256 pods each) for the GPUs the burst needs and deletes them
again at the end. It deletes its namespace at the end and an earlier run's leftovers at start.

Usage: python -m benchmarks.burst [--count 300] [--workers 16] [--idle 0]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from benchmarks import audit
from tests.controlplane import install, nodes, plane
from tests.operator_process import Operator, deregister, webhook_answers
from tests.support import vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
#: A digest-pinned vLLM image: Direct vLLM runs it as written and never asks a registry.
IMAGE = "vllm/vllm-openai@sha256:" + "7" * 64
BENCH_NODE_LABEL = "airunway.ai/benchmark-node"
BENCH_NODE_GPUS = 64
BENCH_NODE_PODS = 256
GPU = "nvidia.com/gpu"


class BenchmarkError(Exception):
    """The benchmark could not produce its figures (objects never settled, creates failed)."""


# ---------------------------------------------------------------- set-up


def api_client_for(kubeconfig: Path, pool: int = 32) -> client.ApiClient:
    """A client whose connection pool serves `pool` threads at once (the default holds 4)."""
    configuration = client.Configuration()
    config.load_kube_config(str(kubeconfig), client_configuration=configuration)
    configuration.connection_pool_maxsize = pool
    return client.ApiClient(configuration)


def start_operator(
    kubeconfig: Path, log: Path, *args: str, debug: bool = False, env: dict[str, str] | None = None
) -> Operator:
    """`tests.operator_process.Operator`, without `--debug` unless asked.

    The test harness always logs at DEBUG; kopf then formats a line per watch event and handler,
    which would dominate the CPU figures. A benchmark measures the operator as it ships."""
    if debug:
        return Operator(kubeconfig, log, *args, env=env)
    real = subprocess.Popen

    def popen(argv: list[str], *rest: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        return real([a for a in argv if a != "--debug"], *rest, **kwargs)

    # Operator starts the process with subprocess.Popen; only its argv changes here.
    with mock.patch.object(subprocess, "Popen", popen):
        return Operator(kubeconfig, log, *args, env=env)


def _quantity(text: str | None) -> int:
    return int(text or 0)


def _free_capacity(core: client.CoreV1Api) -> tuple[int, int]:
    """(GPUs, pod slots) free on Ready kwok GPU nodes."""
    gpus = pods = 0
    ready = set()
    for node in core.list_node(label_selector="nvidia.com/gpu.present=true").items:
        if any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or [])):
            ready.add(node.metadata.name)
            allocatable = node.status.allocatable or {}
            gpus += _quantity(allocatable.get(GPU))
            pods += _quantity(allocatable.get("pods"))
    for pod in core.list_pod_for_all_namespaces().items:
        if pod.spec.node_name in ready and pod.status.phase not in ("Succeeded", "Failed"):
            pods -= 1
            for container in pod.spec.containers:
                gpus -= _quantity(((container.resources and container.resources.requests) or {}).get(GPU))
    return gpus, pods


def bench_node(index: int) -> dict[str, Any]:
    """A kwok GPU node like the plane's own, larger, and labelled so the benchmark can remove it."""
    body = nodes.gpu_node(index, gpus=BENCH_NODE_GPUS)
    name = f"kwok-gpu-bench-{index}"
    body["metadata"]["name"] = name
    body["metadata"]["labels"].update({"kubernetes.io/hostname": name, BENCH_NODE_LABEL: "true"})
    body["status"]["capacity"]["pods"] = str(BENCH_NODE_PODS)
    body["status"]["allocatable"] = body["status"]["capacity"]
    return body


def ensure_capacity(core: client.CoreV1Api, count: int) -> int:
    """Add benchmark GPU nodes until `count` one-GPU pods fit; returns the free GPUs."""
    gpus, pods = _free_capacity(core)
    missing = max(count - gpus, count - pods, 0)
    existing = {n.metadata.name for n in core.list_node(label_selector=BENCH_NODE_LABEL).items}
    index = 0
    added: list[str] = []
    for _ in range(math.ceil(missing / min(BENCH_NODE_GPUS, BENCH_NODE_PODS))):
        while f"kwok-gpu-bench-{index}" in existing:
            index += 1
        body = bench_node(index)
        core.create_node(body)
        added.append(body["metadata"]["name"])
        index += 1

    def all_ready() -> bool:
        items = core.list_node(label_selector=BENCH_NODE_LABEL).items
        ready = {
            n.metadata.name
            for n in items
            if any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))
        }
        return ready.issuperset(added)

    wait_for(all_ready, 120, f"{len(added)} benchmark GPU nodes to turn Ready")
    gpus, pods = _free_capacity(core)
    if min(gpus, pods) < count:
        raise BenchmarkError(f"only {gpus} GPUs and {pods} pod slots free for {count} ModelDeployments")
    return gpus


def remove_bench_nodes(core: client.CoreV1Api) -> None:
    for node in core.list_node(label_selector=BENCH_NODE_LABEL).items:
        try:
            core.delete_node(node.metadata.name)
        except ApiException as err:
            if err.status != 404:
                raise


def tear_down(
    core: client.CoreV1Api, api_client: client.ApiClient, op: Operator, prefix: str, timeout: float
) -> None:
    """Delete the benchmark's namespaces while the operator runs (it releases their finalizers),
    then stop it, remove its webhook registration and the extra GPU nodes."""
    try:
        delete_namespaces(core, prefix, timeout)
    except AssertionError as err:
        print(f"clean-up: {err}; delete it by hand", file=sys.stderr)
    op.kill()
    deregister(api_client)
    remove_bench_nodes(core)


def bench_md(name: str) -> dict[str, Any]:
    body = vllm_md(name)
    body["spec"]["engine"]["image"] = IMAGE
    return body


def namespaces_with(core: client.CoreV1Api, prefix: str) -> list[str]:
    return [n.metadata.name for n in core.list_namespace().items if n.metadata.name.startswith(prefix)]


def delete_namespaces(core: client.CoreV1Api, prefix: str, timeout: float) -> None:
    """Delete every namespace named `prefix*` and wait until they are gone (the operator must run:
    it releases the ModelDeployments' finalizers)."""
    for name in namespaces_with(core, prefix):
        try:
            core.delete_namespace(name)
        except ApiException as err:
            if err.status != 404:
                raise
    wait_for(lambda: not namespaces_with(core, prefix) or None, timeout, f"namespaces {prefix}* to go", 1.0)


# ---------------------------------------------------------------- observing


class Follower(threading.Thread):
    """Lists a namespaced resource once, then watches it from that resourceVersion (relisting only
    when the watch expires), calling `on_object(object, seen_at)` for every state it sees."""

    def __init__(
        self,
        lister: Callable[..., Any],
        args: tuple[str, ...],
        on_object: Callable[[dict[str, Any], float], None],
    ) -> None:
        """`lister(*args)` lists (a typed or a custom-objects list call); it is watched the same way."""
        super().__init__(daemon=True, name=f"follow-{getattr(lister, '__name__', 'list')}")
        self.lister, self.args, self.on_object = lister, args, on_object
        self.stop = threading.Event()

    def run(self) -> None:
        version: str | None = None
        while not self.stop.is_set():
            try:
                if version is None:
                    listed = _plain(self.lister(*self.args))
                    now = time.monotonic()
                    for item in listed["items"]:
                        self.on_object(item, now)
                    version = listed["metadata"]["resourceVersion"]
                stream = watch.Watch().stream(
                    self.lister,
                    *self.args,
                    resource_version=version,
                    timeout_seconds=20,
                    allow_watch_bookmarks=True,
                )
                for event in stream:
                    obj = _plain(event["object"])
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if event["type"] in ("ADDED", "MODIFIED"):
                        self.on_object(obj, time.monotonic())
                    if self.stop.is_set():
                        break
            except ApiException as err:
                if err.status == 410:
                    version = None  # expired: relist
                else:
                    time.sleep(0.5)
            except (urllib3.exceptions.HTTPError, OSError):
                time.sleep(0.5)


def _plain(obj: Any) -> dict[str, Any]:
    """A typed client model as the JSON dict the API server sent (dicts pass through)."""
    plain: dict[str, Any] = client.ApiClient().sanitize_for_serialization(obj)
    return plain


@dataclass
class Observed:
    """What the followers saw: first time each Deployment and Service existed and each
    ModelDeployment ran."""

    deployments: dict[str, float] = field(default_factory=dict)
    services: dict[str, float] = field(default_factory=dict)
    running: dict[str, float] = field(default_factory=dict)
    phases: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deployment(self, obj: dict[str, Any], at: float) -> None:
        with self.lock:
            self.deployments.setdefault(obj["metadata"]["name"], at)

    def service(self, obj: dict[str, Any], at: float) -> None:
        with self.lock:
            self.services.setdefault(obj["metadata"]["name"], at)

    def modeldeployment(self, obj: dict[str, Any], at: float) -> None:
        name, phase = obj["metadata"]["name"], (obj.get("status") or {}).get("phase") or "-"
        with self.lock:
            self.phases[name] = phase
            if phase == "Running":
                self.running.setdefault(name, at)


def wait_quiet(log: Path, start: audit.Mark, quiet: float, timeout: float) -> float:
    """Wait until the operator made no request (open watches aside) for `quiet` seconds; return
    the monotonic time of its last request (or of the call, if it made none)."""
    last = time.monotonic()
    cursor = start
    deadline = last + timeout
    while time.monotonic() - last < quiet:
        if time.monotonic() > deadline:
            raise BenchmarkError(f"the operator never went quiet for {quiet:.0f} s within {timeout:.0f} s")
        time.sleep(0.5)
        now, following = time.monotonic(), audit.mark(log)
        made = [
            r for r in audit.requests_since(log, cursor, audit.OPERATOR_AGENTS) if r.verb != audit.WATCH_VERB
        ]
        cursor = following
        if made:
            last = now
    return last


# ---------------------------------------------------------------- the run


@dataclass
class Burst:
    count: int
    namespace: str
    started: float
    created: float
    deployments: float
    services: float
    running: float
    settled: float
    cpu: float
    requests: list[audit.Request]
    retries: int


def _create_all(custom: client.CustomObjectsApi, namespace: str, count: int, workers: int) -> int:
    """Create `count` ModelDeployments from `workers` threads; returns the retries needed."""
    retries = 0
    lock = threading.Lock()

    def create(i: int) -> None:
        nonlocal retries
        for attempt in range(5):
            try:
                custom.create_namespaced_custom_object(G, V, namespace, MD, bench_md(f"m{i:04d}"))
                return
            except ApiException as err:
                if err.status == 409 and attempt:
                    return  # an earlier attempt went through after all
                if err.status is not None and err.status < 500 and err.status != 429:
                    raise BenchmarkError(f"create m{i:04d} refused: {err.status} {err.body}") from err
            except (urllib3.exceptions.HTTPError, OSError):
                pass
            with lock:
                retries += 1
            time.sleep(0.5 * (attempt + 1))
        raise BenchmarkError(f"create m{i:04d} failed 5 times")

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(create, i) for i in range(count)]:
            future.result()
    return retries


def _stuck(observed: Observed, custom: client.CustomObjectsApi, namespace: str, count: int) -> str:
    """Why the burst did not settle: counts, phases and one stuck object's conditions."""
    with observed.lock:
        phases = Counter(observed.phases.values())
        waiting = sorted(n for n, p in observed.phases.items() if p != "Running")
        deployments = len(observed.deployments)
    text = (
        f"{len(observed.phases)}/{count} ModelDeployments seen, {deployments} Deployments, "
        f"phases {dict(phases)}"
    )
    if waiting:
        md = custom.get_namespaced_custom_object(G, V, namespace, MD, waiting[0])
        conditions = [
            f"{c.get('type')}={c.get('status')} {c.get('reason')}: {c.get('message')}"
            for c in (md.get("status") or {}).get("conditions", [])
        ]
        text += f"; {waiting[0]}: " + "; ".join(conditions)
    return text


def run_burst(
    api_client: client.ApiClient,
    op: Operator,
    log: Path,
    namespace: str,
    count: int,
    workers: int,
    quiet: float,
    timeout: float,
) -> Burst:
    custom = client.CustomObjectsApi(api_client)
    observed = Observed()
    followers = [
        Follower(client.AppsV1Api(api_client).list_namespaced_deployment, (namespace,), observed.deployment),
        Follower(client.CoreV1Api(api_client).list_namespaced_service, (namespace,), observed.service),
        Follower(custom.list_namespaced_custom_object, (G, V, namespace, MD), observed.modeldeployment),
    ]
    for follower in followers:
        follower.start()
    try:
        time.sleep(1)
        start_mark, cpu_before = audit.mark(log), audit.cpu_seconds(op.proc.pid)
        started = time.monotonic()
        retries = _create_all(custom, namespace, count, workers)
        created = time.monotonic()

        def done(what: dict[str, float]) -> float | None:
            with observed.lock:
                return max(what.values()) if len(what) >= count else None

        try:
            deployments = wait_for(lambda: done(observed.deployments), timeout, "every Deployment", 0.1)
            services = wait_for(lambda: done(observed.services), timeout, "every Service", 0.1)
            running = wait_for(lambda: done(observed.running), timeout, "every ModelDeployment Running", 0.2)
        except AssertionError as err:
            raise BenchmarkError(f"{err}: {_stuck(observed, custom, namespace, count)}") from None
        if op.proc.poll() is not None:
            raise BenchmarkError(f"the operator exited with {op.proc.returncode}; see {op.log}")
        settled = wait_quiet(log, start_mark, quiet, timeout)
        cpu = audit.cpu_seconds(op.proc.pid) - cpu_before
        requests = audit.by_operator(audit.requests_since(log, start_mark, audit.OPERATOR_AGENTS))
    finally:
        for follower in followers:
            follower.stop.set()
    return Burst(
        count, namespace, started, created, deployments, services, running, settled, cpu, requests, retries
    )


@dataclass
class Idle:
    seconds: float
    cpu: float
    requests: list[audit.Request]


def measure_idle(op: Operator, log: Path, seconds: float) -> Idle:
    start_mark, cpu_before, started = audit.mark(log), audit.cpu_seconds(op.proc.pid), time.monotonic()
    time.sleep(seconds)
    cpu = audit.cpu_seconds(op.proc.pid) - cpu_before
    elapsed = time.monotonic() - started
    return Idle(elapsed, cpu, audit.by_operator(audit.requests_since(log, start_mark, audit.OPERATOR_AGENTS)))


# ---------------------------------------------------------------- report


def per_object(requests: list[audit.Request], count: int) -> list[tuple[str, str]]:
    kinds = audit.totals(requests)
    writes = kinds["write"] + kinds["event"]
    return [
        ("API reads per ModelDeployment (get, list)", f"{kinds['read'] / count:.2f}"),
        ("  watches opened (total, not per object)", f"{kinds['watch']}"),
        ("API writes per ModelDeployment, Events included", f"{writes / count:.2f}"),
        ("  of which Events", f"{kinds['event'] / count:.2f}"),
        ("  without Events", f"{kinds['write'] / count:.2f}"),
    ]


def burst_figures(result: Burst) -> list[tuple[str, str]]:
    at = result.started
    return [
        ("all ModelDeployments created (API answered)", f"{result.created - at:.2f} s"),
        ("all Deployments exist", f"{result.deployments - at:.2f} s"),
        ("all Services exist", f"{result.services - at:.2f} s"),
        ("all ModelDeployments Running", f"{result.running - at:.2f} s"),
        ("settled (operator's last request)", f"{result.settled - at:.2f} s"),
        ("operator CPU, create -> settled", f"{result.cpu:.2f} s"),
        *per_object(result.requests, result.count),
        ("client create retries", str(result.retries)),
    ]


def idle_figures(idle: Idle, providers: int) -> list[tuple[str, str]]:
    kinds = audit.totals(idle.requests)
    minutes = idle.seconds / 60
    return [
        (f"idle window ({providers} providers)", f"{idle.seconds:.0f} s"),
        ("idle requests per minute (all)", f"{len(idle.requests) / minutes:.1f}"),
        (
            "  reads / watches / writes / Events per minute",
            " / ".join(f"{kinds[k] / minutes:.1f}" for k in ("read", "watch", "write", "event")),
        ),
        ("idle operator CPU", f"{idle.cpu:.2f} s ({idle.cpu / minutes:.2f} s/min)"),
    ]


def print_figures(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    print(audit.table(("figure", "value"), rows, right=(1,)))


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}"


# ---------------------------------------------------------------- command line


def parser(name: str, count: int, idle: float, doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}", description=doc.splitlines()[0])
    p.add_argument("--count", type=int, default=count, help=f"ModelDeployments (default {count})")
    p.add_argument("--workers", type=int, default=16, help="client threads creating them (default 16)")
    p.add_argument("--quiet", type=float, default=5.0, help="seconds without operator requests = settled")
    p.add_argument(
        "--idle", type=float, default=idle, help=f"idle window after settling, s (default {idle:g})"
    )
    p.add_argument("--timeout", type=float, help="seconds to wait for each stage (default 120 + count)")
    p.add_argument("--debug", action="store_true", help="run the operator with --debug (slower)")
    return p


def main(argv: list[str] | None = None, name: str = "burst", count: int = 300, idle: float = 0.0) -> int:
    args = parser(name, count, idle, __doc__ or name).parse_args(argv)
    try:
        run(args, name)
    except BenchmarkError as err:
        print(f"\n{name} FAILED: {err}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace, name: str, memory: bool = False) -> None:
    timeout = args.timeout or 120 + args.count
    print(f"{name}: {args.count} Direct vLLM ModelDeployments at once; {machine()}", flush=True)
    layout = plane.up()
    install.install_all(layout.kubeconfig)
    log = layout.logs / "audit.log"
    api_client = api_client_for(layout.kubeconfig, pool=args.workers + 4)
    core = client.CoreV1Api(api_client)
    prefix = f"bench-{name}-"
    op = start_operator(
        layout.kubeconfig,
        layout.state / f"bench-{name}-operator.log",
        "--register-webhook",
        debug=args.debug,
        env={"AIRUNWAY_VLLM_IMAGE_RESOLUTION": "best-effort"},
    )
    namespace = f"{prefix}{uuid.uuid4().hex[:6]}"
    try:
        op.wait_healthy()
        delete_namespaces(core, prefix, timeout)  # an interrupted earlier run's objects
        gpus = ensure_capacity(core, args.count)
        print(f"plane: {len(core.list_node().items)} kwok GPU nodes, {gpus} free GPUs", flush=True)
        core.create_namespace({"metadata": {"name": namespace}})
        wait_for(lambda: webhook_answers(api_client, namespace), 60, "the webhook to answer")
        providers = len(
            client.CustomObjectsApi(api_client).list_cluster_custom_object(
                G, V, constants.PROVIDERCONFIG_PLURAL
            )["items"]
        )
        result = run_burst(api_client, op, log, namespace, args.count, args.workers, args.quiet, timeout)
        rows = burst_figures(result)
        if memory:
            mem = audit.memory_mib(op.proc.pid)
            rows += [
                ("operator RSS (VmRSS)", f"{mem['VmRSS']:.0f} MiB"),
                ("operator peak RSS (VmHWM)", f"{mem['VmHWM']:.0f} MiB"),
            ]
        print_figures(f"{name}: {args.count} ModelDeployments created at once ({args.workers} threads)", rows)
        print(f"\nrequests create -> settled by verb + resource + subresource (scope ns = {namespace}):")
        print(audit.breakdown_table(result.requests, args.count, namespace))
        print("\nrequests naming m0000, in order (Event creates and list calls name no object):")
        print("  " + "\n  ".join(audit.sequence(result.requests, "m0000")))
        if args.idle > 0:
            idle = measure_idle(op, log, args.idle)
            print_figures(
                f"{name}: idle with {args.count} ModelDeployments Running", idle_figures(idle, providers)
            )
            if idle.requests:
                print("\nidle requests by verb + resource + subresource:")
                print(audit.breakdown_table(idle.requests, idle.seconds / 60, namespace, "per minute"))
            if memory:
                mem = audit.memory_mib(op.proc.pid)
                print(f"operator RSS after idle: {mem['VmRSS']:.0f} MiB (peak {mem['VmHWM']:.0f} MiB)")
        print(f"\nmachine at the end: {machine()}")
    finally:
        tear_down(core, api_client, op, prefix, timeout)


if __name__ == "__main__":
    sys.exit(main())
