"""The operator's own webhook server in a real operator process: port errors, keep-alive and stopping."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from airunway_operator import tls
from tests.conftest import Cluster
from tests.operator_process import Operator, WebhookClient, admission_review, free_port
from tests.support import REPO, wait_for


def test_a_taken_webhook_port_stops_the_operator_naming_the_setting(cluster: Cluster) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        env = {
            **os.environ,
            "KUBECONFIG": str(cluster.kubeconfig),
            "AIRUNWAY_WEBHOOK_PORT": str(taken.getsockname()[1]),
            "AIRUNWAY_HEALTH_PORT": str(free_port()),
            "AIRUNWAY_METRICS_PORT": "0",
            "AIRUNWAY_VLLM_IMAGE_RESOLUTION": "off",
        }
        done = subprocess.run(
            [sys.executable, "-m", "airunway_operator", "run", "--no-core", "--providers", "none"],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=120,
        )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode != 0, output
    assert "set AIRUNWAY_WEBHOOK_PORT to a free port" in output


def test_sigterm_with_an_open_keep_alive_connection_exits_at_once_and_closes_the_port(
    cluster: Cluster, tmp_path: Path
) -> None:
    files = tls.self_signed(["127.0.0.1"], tmp_path)
    op = Operator(
        cluster.kubeconfig, tmp_path / "operator.log", env={"AIRUNWAY_WEBHOOK_CERT_DIR": str(tmp_path)}
    )
    client = WebhookClient(op.webhook_port, files.cafile)
    try:
        op.wait_healthy()
        wait_for(client.answers, 60, "the webhook server to accept reviews")
        # Stop a started operator: a SIGTERM amid kopf's start of its watch streams can take
        # kopf's own 5 s grace, which is not what this test is about. The gateway's first verdict
        # comes from kopf's CRD watch, the last stream to start.
        wait_for(
            lambda: (
                all(line in op.output() for line in ("Operator started", "Gateway API Inference Extension"))
                or None
            ),
            60,
            "the operator and kopf's watch streams to start",
        )
        # Several reviews over the one connection: keep-alive, each answered with its own uid.
        for _ in range(5):
            review = admission_review({"metadata": {"name": "probe"}, "spec": {}})
            status, answer = client.post(review)
            assert status == 200
            assert answer["response"]["uid"] == review["request"]["uid"]
        started = time.monotonic()
        assert op.stop() == 0, op.output()
        assert time.monotonic() - started < 5, op.output()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", op.webhook_port)) != 0
    finally:
        client.close()
        op.kill()
