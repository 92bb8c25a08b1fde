"""Shared fixtures: the real local control plane (session-scoped) and per-test namespaces.

Tests under the CLUSTER_DIRS below are marked `cluster` automatically. They bring the plane up (or
reuse a running one), install our CRDs plus the vendored third-party CRDs, and refuse any kubeconfig
context whose name does not start with `airunway-`. Under CI=true a missing
control-plane binary is an error, never a skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from tests import operator_process
from tests.controlplane import binaries, install, plane
from tests.support import fresh_namespace

CLUSTER_DIRS = ("integration", "e2e", "faults", "browser", "backend")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(f"tests/{d}/" in str(item.path).replace(os.sep, "/") for d in CLUSTER_DIRS):
            item.add_marker(pytest.mark.cluster)


@dataclass(frozen=True)
class Cluster:
    """A running local control plane with our CRDs installed."""

    kubeconfig: Path
    api_client: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api_client)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api_client)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api_client)

    def get_json(self, path: str, accept: str = "application/json") -> Any:
        """GET a raw API path (discovery, OpenAPI, tables) and decode the JSON answer."""
        url = self.api_client.configuration.host + path
        response = self.api_client.call_api("GET", url, header_params={"Accept": accept})
        response.read()
        return json.loads(response.data)


def _guard_context(kubeconfig: Path) -> None:
    _, active = config.list_kube_config_contexts(str(kubeconfig))
    if not active["name"].startswith("airunway-"):
        pytest.exit(f"refusing to run cluster tests against context {active['name']!r}", returncode=3)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    layout = plane.default_layout()
    started_here = not plane.is_running(layout)
    try:
        plane.up(layout)
    except binaries.MissingBinariesError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the control plane cannot start: {err}", pytrace=False)
        pytest.skip(str(err))
    _guard_context(layout.kubeconfig)
    install.install_all(layout.kubeconfig)
    api_client = config.new_client_from_config(str(layout.kubeconfig))
    try:
        yield Cluster(layout.kubeconfig, api_client)
    finally:
        api_client.close()
        if started_here and os.environ.get("AIRUNWAY_KEEP_CLUSTER") != "1":
            plane.down(layout)


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting for it to go)."""
    with fresh_namespace(cluster.core) as name:
        yield name


@pytest.fixture(autouse=True)
def operator_logs_without_tracebacks() -> Iterator[None]:
    """Fail any test whose operator processes logged a traceback: kopf logs a handler's crash and
    carries on, so a passing assertion could hide it."""
    operator_process.STARTED.clear()
    yield
    found = []
    for op in operator_process.STARTED:
        running = op.proc.poll() is None
        op.kill()
        found += [f"{op.log}:\n{tb}" for tb in operator_process.tracebacks(op.output())]
        if running and op.registers_webhook:
            # A killed operator leaves its loopback registration (failurePolicy Fail) behind.
            with config.new_client_from_config(str(op.kubeconfig)) as api_client:
                operator_process.deregister(api_client)
    operator_process.STARTED.clear()
    assert not found, "operator logged tracebacks:\n" + "\n\n".join(found)
