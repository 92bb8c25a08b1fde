"""A second, independent plane beside the shared one: cold starts under load, and fault injection.

Every plane here has its own state directory and ports, so the shared plane in .testenv is never
touched. `AIRUNWAY_PLANE_COLD_STARTS` sets how many cold starts the load test makes (default 3).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.controlplane import binaries, plane
from tests.support import wait_for

# Other planes (the shared one, other test sessions) may be running: take the first free ports.
COLD_START_OFFSET = 4100
FAULT_OFFSET = 4200
COLD_STARTS = int(os.environ.get("AIRUNWAY_PLANE_COLD_STARTS", "3"))

_BUSY_LOOP = "while True: pass"
# Rewrites 16 MiB with an fsync after every MiB, forever: keeps the disk and the page cache busy.
_IO_LOOP = """
import os, sys
path, block = os.path.join(sys.argv[1], "load.bin"), os.urandom(1 << 20)
while True:
    with open(path, "wb") as out:
        for _ in range(16):
            out.write(block)
            out.flush()
            os.fsync(out.fileno())
"""


def _require_binaries() -> None:
    try:
        binaries.find()
    except binaries.MissingBinariesError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the control-plane binaries are missing: {err}", pytrace=False)
        pytest.skip(str(err))


def _assert_gone(layout: plane.Layout) -> None:
    assert plane.processes(layout) == []
    assert plane.status(layout) == dict.fromkeys(plane.COMPONENTS)
    assert plane.busy_ports(layout) == []


# ---------------------------------------------------------------- cold starts under load


@contextmanager
def _load(scratch: Path) -> Iterator[None]:
    """One busy process per core plus one writing and fsyncing files in `scratch`."""
    argvs = [[sys.executable, "-c", _BUSY_LOOP]] * (os.cpu_count() or 2)
    argvs.append([sys.executable, "-c", _IO_LOOP, str(scratch)])
    procs = [subprocess.Popen(argv, start_new_session=True) for argv in argvs]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def _drop_caches() -> None:
    """Start the next plane from a cold page cache when this machine lets us."""
    os.sync()
    with suppress(OSError):
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


def test_an_independent_plane_starts_cold_under_load_and_stops_completely(tmp_path: Path) -> None:
    _require_binaries()
    layout = plane.alternate_layout(tmp_path / "plane", plane.free_port_offset(COLD_START_OFFSET))
    with _load(tmp_path):
        for _ in range(COLD_STARTS):
            _drop_caches()
            try:
                plane.up(layout, gpu_nodes=1)
                assert all(plane.status(layout).values())
                wait_for(lambda: plane.is_running(layout), 60, "the started plane to answer /readyz")
            finally:
                plane.down(layout)
            _assert_gone(layout)


# ---------------------------------------------------------------- fault injection


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[plane.Layout]:
    """An independent plane the fault tests may kill, freeze and restart."""
    _require_binaries()
    layout = plane.alternate_layout(tmp_path_factory.mktemp("faulty"), plane.free_port_offset(FAULT_OFFSET))
    plane.up(layout, gpu_nodes=1)
    try:
        yield layout
    finally:
        plane.down(layout)  # continues frozen processes before stopping them
        _assert_gone(layout)


def _core(layout: plane.Layout) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(layout.kubeconfig)))


def _config_map(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"written": "before the fault"}}


def _creates(layout: plane.Layout, name: str) -> bool:
    """Create a ConfigMap; an earlier attempt whose answer timed out may have created it already."""
    try:
        _core(layout).create_namespaced_config_map("default", _config_map(name), _request_timeout=10)
    except ApiException as err:
        return bool(err.status == 409)
    except urllib3.exceptions.HTTPError:
        return False
    return True


def test_a_killed_api_server_fails_readyz_and_comes_back_with_its_data(faulty: plane.Layout) -> None:
    name = f"survivor-{uuid.uuid4().hex[:6]}"
    _core(faulty).create_namespaced_config_map("default", _config_map(name))
    before = plane.status(faulty)["kube-apiserver"]

    plane.kill(faulty, "kube-apiserver")
    assert plane.status(faulty)["kube-apiserver"] is None
    assert not plane.is_running(faulty)
    with pytest.raises(plane.PlaneError):
        plane.kill(faulty, "kube-apiserver")

    plane.start(faulty, "kube-apiserver")
    assert plane.status(faulty)["kube-apiserver"] not in (None, before)
    wait_for(lambda: plane.is_running(faulty), 60, "the restarted API server to answer /readyz")
    assert _core(faulty).read_namespaced_config_map(name, "default").data == {"written": "before the fault"}


def test_a_killed_etcd_comes_back_with_its_data(faulty: plane.Layout) -> None:
    name = f"durable-{uuid.uuid4().hex[:6]}"
    _core(faulty).create_namespaced_config_map("default", _config_map(name))

    plane.kill(faulty, "etcd")
    wait_for(lambda: not plane.is_running(faulty), 60, "/readyz to fail without etcd")

    plane.start(faulty, "etcd")
    wait_for(lambda: plane.is_running(faulty), 120, "/readyz to pass again with etcd back")
    assert _core(faulty).read_namespaced_config_map(name, "default").data == {"written": "before the fault"}


def test_a_frozen_etcd_makes_writes_time_out_until_it_is_thawed(faulty: plane.Layout) -> None:
    core = _core(faulty)
    plane.freeze(faulty, "etcd")
    try:
        assert plane.status(faulty)["etcd"] is not None  # stopped, not gone
        with pytest.raises((urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.MaxRetryError)):
            core.create_namespaced_config_map("default", _config_map("while-frozen"), _request_timeout=3)
    finally:
        plane.thaw(faulty, "etcd")
    wait_for(lambda: _creates(faulty, "after-thaw"), 120, "a write to succeed after the thaw")
    assert core.read_namespaced_config_map("after-thaw", "default").data == {"written": "before the fault"}


def test_a_restarted_controller_manager_runs_its_controllers_again(faulty: plane.Layout) -> None:
    plane.kill(faulty, "kube-controller-manager")
    assert plane.status(faulty)["kube-controller-manager"] is None

    plane.start(faulty, "kube-controller-manager")
    core = _core(faulty)
    namespace = f"after-restart-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": namespace}})

    def default_account() -> bool:
        return any(
            a.metadata.name == "default" for a in core.list_namespaced_service_account(namespace).items
        )

    # The service-account controller of the new kube-controller-manager creates it.
    wait_for(default_account, 120, "the restarted kube-controller-manager to create the default account")


# ---------------------------------------------------------------- liveness right after exec


def test_a_component_counts_as_running_right_after_a_cold_exec(tmp_path: Path) -> None:
    """With a cold page cache /proc/<pid>/cmdline of a just-exec'd binary is usually still empty;
    a plane judged from its pid files must count the process as running anyway."""
    _require_binaries()
    layout = plane.alternate_layout(tmp_path / "plane", plane.free_port_offset(COLD_START_OFFSET))
    etcd = str(binaries.find()["etcd"])
    url = layout.etcd_url
    argv = [
        etcd,
        f"--data-dir={tmp_path / 'data'}",
        f"--listen-client-urls={url}",
        f"--advertise-client-urls={url}",
    ]
    argv.append(f"--listen-peer-urls=http://127.0.0.1:{layout.ports.etcd_peer}")
    _drop_caches()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        plane._record(layout, "etcd", proc.pid, argv)
        assert plane.status(layout)["etcd"] == proc.pid
    finally:
        proc.kill()
        proc.wait()
