"""Admission webhook latency at a fixed request rate (default 100 requests/s).

Two views, both printed:
1. direct: AdmissionReview POSTs to the operator's webhook server over TLS (keep-alive
   connections, open-loop schedule), timing each answer on the client; this is the webhook's own
   latency (its server thread, TLS, parsing and validation) plus the Python client's.
2. apiserver: server-side dry-run creates through the real API server at the same rate; the
   API server's own histogram `apiserver_admission_webhook_admission_duration_seconds` (before/after
   delta) gives the webhook call latency as the API server sees it (bucket bounds: 5 ms, 25 ms, ...).

Usage: python -m benchmarks.webhook_latency [--rate 100] [--seconds 10] [--runs 3]
Needs the local control plane (`make cluster-up`); starts its own operator process, lets it settle
and warms both paths up (`--settle` seconds each, not recorded). `--runs` repeats both views back
to back against the same operator, printing the machine's load average before each run (the plane
and the client share the machine's cores).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.api import constants
from tests.controlplane import install, plane
from tests.operator_process import Operator, WebhookClient, admission_review, deregister, webhook_answers
from tests.support import wait_for

NAMESPACE = "bench-webhook"


def _md(name: str) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": "ModelDeployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct", "source": "huggingface"},
            "engine": {"type": "vllm", "enablePrefixCaching": True},
            "resources": {"gpu": {"count": 1, "type": "nvidia.com/gpu"}},
            "scaling": {"replicas": 1},
            "serving": {"mode": "aggregated"},
        },
    }


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _open_loop(rate: float, seconds: float, send: Any, workers: int = 8) -> list[float]:
    """Fire `send()` at a fixed rate regardless of answers; return each call's latency in seconds."""
    total = int(rate * seconds)
    latencies: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        started = time.perf_counter()
        send()
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(one))
        for f in futures:
            f.result()
    return latencies


def direct(port: int, cafile: Path, rate: float, seconds: float) -> list[float]:
    local = threading.local()
    review = admission_review(_md("bench"), namespace=NAMESPACE)

    def send() -> None:
        if not hasattr(local, "client"):
            local.client = WebhookClient(port, cafile)
        status, answer = local.client.post(review)
        if status != 200 or answer["response"]["allowed"] is not True:
            raise RuntimeError(f"webhook answered {status}: {answer}")

    return _open_loop(rate, seconds, send)


_BUCKET = re.compile(
    r"^apiserver_admission_webhook_admission_duration_seconds_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)$"
)


def _webhook_buckets(api_client: client.ApiClient) -> dict[float, float]:
    url = api_client.configuration.host + "/metrics"
    response = api_client.call_api("GET", url, header_params={"Accept": "text/plain"})
    response.read()
    buckets: dict[float, float] = {}
    for line in response.data.decode().splitlines():
        match = _BUCKET.match(line)
        if match and configuration.MODELDEPLOYMENT_WEBHOOK in match["labels"]:
            le = re.search(r'le="([^"]+)"', match["labels"])
            bound = float("inf") if le is None or le[1] == "+Inf" else float(le[1])
            buckets[bound] = buckets.get(bound, 0.0) + float(match["value"])
    return buckets


def _bucket_quantile(delta: dict[float, float], q: float) -> str:
    total = delta.get(float("inf"), 0.0)
    if not total:
        return "n/a"
    for bound in sorted(delta):
        if delta[bound] >= q * total:
            return f"<= {bound * 1000:.0f} ms"
    return "n/a"


def _share(delta: dict[float, float], bound: float) -> float:
    total = delta.get(float("inf"), 0.0)
    return delta.get(bound, 0.0) / total if total else 0.0


def through_apiserver(
    api_client: client.ApiClient, rate: float, seconds: float
) -> tuple[list[float], dict[float, float]]:
    """Dry-run creates, each one POST of a body serialized once, over the client's connection pool:
    the load generator's own CPU (it shares the cores) stays small next to the API server's."""
    url = (
        f"{api_client.configuration.host}/apis/{constants.GROUP}/{constants.VERSION}/namespaces/"
        f"{NAMESPACE}/{constants.MODELDEPLOYMENT_PLURAL}?dryRun=All"
    )
    body = json.dumps(_md("bench")).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    for auth in api_client.configuration.auth_settings().values():
        if auth.get("in") == "header" and auth.get("value"):
            headers[auth["key"]] = auth["value"]
    pool = api_client.rest_client.pool_manager
    before = _webhook_buckets(api_client)

    def send() -> None:
        response = pool.request("POST", url, body=body, headers=headers, timeout=30)
        if response.status != 201:
            raise RuntimeError(f"dry-run create answered {response.status}: {response.data[:300]!r}")

    latencies = _open_loop(rate, seconds, send)
    after = _webhook_buckets(api_client)
    return latencies, {b: after.get(b, 0.0) - before.get(b, 0.0) for b in after}


def _report(title: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"{title:<34} n={len(ms):5d}  p50={_percentile(ms, 0.50):6.2f} ms  "
        f"p99={_percentile(ms, 0.99):6.2f} ms  mean={statistics.fmean(ms):6.2f} ms  max={max(ms):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds to let the operator finish its start-up work, then as long of unrecorded traffic",
    )
    args = parser.parse_args()

    layout = plane.up()
    install.install_all(layout.kubeconfig)
    api_client = config.new_client_from_config(str(layout.kubeconfig))
    try:
        client.CoreV1Api(api_client).create_namespace({"metadata": {"name": NAMESPACE}})
    except ApiException as err:
        if err.status != 409:
            raise
    certs = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    files = tls.self_signed(["127.0.0.1", "localhost"], certs)
    log = certs / "operator.log"
    env = {"AIRUNWAY_WEBHOOK_CERT_DIR": str(certs)}
    op = Operator(layout.kubeconfig, log, "--register-webhook", "--quiet", env=env)
    try:
        op.wait_healthy()
        wait_for(lambda: webhook_answers(api_client, NAMESPACE), 60, "the webhook to answer")
        # The first seconds after start belong to kopf's start-up (initial lists, index, provider
        # registration) and to a cold process: let them pass, then warm up without recording.
        time.sleep(args.settle)
        direct(op.webhook_port, files.cafile, args.rate, args.settle)
        through_apiserver(api_client, args.rate, args.settle)
        for run in range(1, args.runs + 1):
            load = " ".join(f"{value:.2f}" for value in os.getloadavg())
            print(
                f"run {run}/{args.runs}: webhook latency at {args.rate:.0f} requests/s for "
                f"{args.seconds:.0f} s (load average {load}, {os.cpu_count()} cores)"
            )
            _report(
                "direct AdmissionReview (client)",
                direct(op.webhook_port, files.cafile, args.rate, args.seconds),
            )
            latencies, delta = through_apiserver(api_client, args.rate, args.seconds)
            _report("dry-run create via API (client)", latencies)
            print(
                f"{'API server webhook histogram':<34} n={int(delta.get(float('inf'), 0)):5d}  "
                f"p50 {_bucket_quantile(delta, 0.5)}  p99 {_bucket_quantile(delta, 0.99)}  "
                f"(<= 5 ms: {_share(delta, 0.005):.1%})"
            )
    finally:
        op.kill()
        deregister(api_client)


if __name__ == "__main__":
    main()
