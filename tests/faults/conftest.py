"""Fixtures of the fault tests: a control plane of their own, per-test namespaces and operator processes.

The fault tests kill, restart and freeze control-plane components, so they never touch the shared
default plane: the session fixture `fault_plane` starts an independent one (own state directory,
ports shifted by PORT_OFFSET) and stops it at the end. Every operator process a test starts is
killed afterwards; tests/conftest.py checks its log for tracebacks.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.controlplane import binaries, install, nodes, plane
from tests.faults import workload
from tests.operator_process import Operator
from tests.support import ignore_missing, wait_for

PORT_OFFSET = 1000
# The identity of the operator's kubeconfig (tests/controlplane/pki.py): the tests write as admin,
# so admission can tell the operator's requests from theirs.
OPERATOR_USER = "airunway-operator"
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(item.path).is_relative_to(HERE):
            item.add_marker(pytest.mark.cluster)


@dataclass(frozen=True)
class FaultPlane(Cluster):
    """The fault tests' own control plane, with our CRDs installed."""

    layout: plane.Layout

    @property
    def operator_kubeconfig(self) -> Path:
        return self.layout.operator_kubeconfig

    @property
    def audit_log(self) -> Path:
        return self.layout.logs / "audit.log"


def _grant_operator_user(api_client: client.ApiClient) -> None:
    body = {
        "metadata": {"name": "faults-operator-cluster-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": OPERATOR_USER}],
    }
    try:
        client.RbacAuthorizationV1Api(api_client).create_cluster_role_binding(body)
    except ApiException as err:
        if err.status != 409:
            raise


@pytest.fixture(scope="session")
def fault_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultPlane]:
    layout = plane.alternate_layout(
        tmp_path_factory.mktemp("fault-plane"), plane.free_port_offset(PORT_OFFSET)
    )
    # Enough GPUs for the largest test plus the pods of the previous one still being deleted.
    gpu_nodes = math.ceil(2 * workload.scale(40) / nodes.GPU_PER_NODE) + 1
    try:
        plane.up(layout, gpu_nodes=gpu_nodes)
    except binaries.MissingBinariesError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the control plane cannot start: {err}", pytrace=False)
        pytest.skip(str(err))
    api_client: client.ApiClient | None = None
    try:
        install.install_all(layout.kubeconfig)
        api_client = config.new_client_from_config(str(layout.kubeconfig))
        _grant_operator_user(api_client)
        yield FaultPlane(layout.kubeconfig, api_client, layout)
    finally:
        if api_client is not None:
            api_client.close()
        plane.down(layout)


def _strip_finalizers(fault_plane: FaultPlane, namespace: str) -> None:
    g, v, plural = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
    try:
        items = fault_plane.custom.list_namespaced_custom_object(g, v, namespace, plural)["items"]
    except ApiException as err:
        if err.status == 404:
            return
        raise
    for item in items:
        if item["metadata"].get("finalizers"):
            try:
                fault_plane.custom.patch_namespaced_custom_object(
                    g, v, namespace, plural, item["metadata"]["name"], {"metadata": {"finalizers": None}}
                )
            except ApiException as err:
                if err.status != 404:
                    raise


def namespace_gone(fault_plane: FaultPlane, name: str) -> bool:
    try:
        fault_plane.core.read_namespace(name)
    except ApiException as err:
        if err.status == 404:
            return True
        raise
    # Objects a killed operator left finalized would hold the namespace forever.
    _strip_finalizers(fault_plane, name)
    return False


@pytest.fixture
def namespace(fault_plane: FaultPlane) -> Iterator[str]:
    """A fresh namespace on the fault plane, deleted (and waited for) afterwards so the next test
    starts with every GPU free."""
    name = f"f-{uuid.uuid4().hex[:10]}"
    fault_plane.core.create_namespace({"metadata": {"name": name}})
    yield name
    ignore_missing(fault_plane.core.delete_namespace, name)
    wait_for(lambda: namespace_gone(fault_plane, name), 300, f"namespace {name} to be deleted", interval=1)


class Operators:
    """The operator processes of one test, all killed afterwards."""

    def __init__(self, kubeconfig: Path, directory: Path) -> None:
        self.kubeconfig = kubeconfig
        self.directory = directory
        self.started: list[Operator] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> Operator:
        log = self.directory / f"operator-{len(self.started)}.log"
        op = Operator(self.kubeconfig, log, *args, env=env)
        self.started.append(op)
        op.wait_healthy()
        return op

    def kill_all(self) -> None:
        for op in self.started:
            op.kill()


@pytest.fixture
def operators(fault_plane: FaultPlane, tmp_path: Path) -> Iterator[Operators]:
    """Operator processes running as the operator's user. tests/conftest.py fails the test on any
    traceback in their logs (kopf logs a handler's crash and carries on)."""
    started = Operators(fault_plane.operator_kubeconfig, tmp_path)
    try:
        yield started
    finally:
        started.kill_all()
