"""The control plane's process handling, with stand-in binaries instead of the real ones.

Liveness is judged by /proc/<pid>/exe or the process handle, never by /proc/<pid>/cmdline (right
after exec the kernel may still show it empty); a failed start stops everything it started and
reports only this run's log. Each test uses its own state directory and ports, never the shared
plane's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.controlplane import binaries, pki, plane
from tests.support import wait_for

PORT_OFFSET = 4300

_FAKE_ETCD = """#!{python}
import http.server, sys

url = next(a for a in sys.argv if a.startswith("--listen-client-urls="))


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{{"health":"true"}}')

    def log_message(self, *args):
        pass


print("stand-in etcd serving", flush=True)
http.server.HTTPServer(("127.0.0.1", int(url.rsplit(":", 1)[1])), Health).serve_forever()
"""
_FAILING_APISERVER = '#!/bin/sh\necho "kube-apiserver refused to start in $STAND_IN_RUN"\nexit 3\n'
_SLEEPER = "#!/bin/sh\nexec sleep 300\n"
# Listens on a port, then its main (leader) thread exits while another thread lives on: the leader
# shows as a zombie although the process still holds the socket, as while a killed Go binary's
# threads exit one by one.
_LEADER_EXITS_FIRST = """#!{python}
import ctypes, socket, sys, threading, time

sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
threading.Thread(target=time.sleep, args=(300,)).start()
print("listening", flush=True)
ctypes.CDLL(None).pthread_exit(None)
"""


def _stand_in_binaries(directory: Path) -> Path:
    """etcd answers /health; kube-apiserver exits at once; the others would sleep."""
    directory.mkdir()
    scripts = {
        "etcd": _FAKE_ETCD.format(python=sys.executable),
        "kube-apiserver": _FAILING_APISERVER,
        "kube-controller-manager": _SLEEPER,
        "kube-scheduler": _SLEEPER,
        "kwok": _SLEEPER,
    }
    for name, text in scripts.items():
        (directory / name).write_text(text)
        (directory / name).chmod(0o755)
    (directory / "stages.yaml").write_text("")
    return directory


def _state_letter(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def test_a_component_whose_cmdline_does_not_name_it_counts_as_running(tmp_path: Path) -> None:
    layout = plane.alternate_layout(tmp_path / "plane", PORT_OFFSET)
    sleep = os.path.realpath(str(shutil.which("sleep")))
    # argv[0] differs from the binary, as an empty cmdline right after exec would: only exe tells.
    proc = subprocess.Popen(["sleeper", "300"], executable=sleep, start_new_session=True)
    try:
        plane._record(layout, "etcd", proc.pid, [sleep, "--name=node0"])
        assert b"etcd" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert plane.status(layout)["etcd"] == proc.pid
        proc.send_signal(signal.SIGKILL)
        wait_for(lambda: _state_letter(proc.pid) == "Z", 10, "the killed process to become a zombie")
        assert plane.status(layout)["etcd"] is None
    finally:
        proc.kill()
        proc.wait()
    assert plane.status(layout)["etcd"] is None


def test_a_pid_file_naming_a_process_of_another_binary_is_not_running(tmp_path: Path) -> None:
    layout = plane.alternate_layout(tmp_path / "plane", PORT_OFFSET)
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        plane._record(layout, "etcd", proc.pid, [str(tmp_path / "etcd"), "--name=node0"])
        assert plane.status(layout)["etcd"] is None
    finally:
        proc.kill()
        proc.wait()


def test_a_failed_start_stops_what_it_started_and_reports_only_this_runs_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRUNWAY_TESTENV_BIN", str(_stand_in_binaries(tmp_path / "bin")))
    layout = plane.alternate_layout(tmp_path / "plane", plane.free_port_offset(PORT_OFFSET))
    messages = []
    for run in ("run-one", "run-two"):
        monkeypatch.setenv("STAND_IN_RUN", run)
        with pytest.raises(plane.PlaneError) as failure:
            plane.up(layout, gpu_nodes=0)
        messages.append(str(failure.value))
        assert "stand-in etcd serving" in (layout.logs / "etcd.log").read_text()
        assert plane.processes(layout) == []
        assert plane.status(layout) == dict.fromkeys(plane.COMPONENTS)
        assert plane.busy_ports(layout) == []
    first, second = messages
    assert "kube-apiserver exited during start-up with exit code 3" in second
    assert "refused to start in run-two" in second
    assert "run-one" not in second
    assert "refused to start in run-one" in first
    assert "run-one" in (layout.logs / "kube-apiserver.log.1").read_text()


def test_an_alternate_layout_shifts_every_port_and_the_plane_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRUNWAY_TESTENV_BIN", str(_stand_in_binaries(tmp_path / "bin")))
    layout = plane.alternate_layout(tmp_path / "plane", 1000)
    assert layout.ports.values() == (13379, 13380, 17443, 11257, 11259)
    pki.generate(layout.pki)
    kubeconfig = yaml.safe_load(plane._kubeconfig(layout, "admin"))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:17443"
    argv = plane._argv(layout, binaries.find())
    assert "--listen-client-urls=http://127.0.0.1:13379" in argv["etcd"]
    assert "--listen-peer-urls=http://127.0.0.1:13380" in argv["etcd"]
    assert "--etcd-servers=http://127.0.0.1:13379" in argv["kube-apiserver"]
    assert "--secure-port=17443" in argv["kube-apiserver"]
    assert "--secure-port=11257" in argv["kube-controller-manager"]
    assert "--secure-port=11259" in argv["kube-scheduler"]
    # kwok listens only when given --server-address or --node-port.
    assert not [a for a in argv["kwok"] if a.startswith(("--server-address", "--node-port"))]


def test_the_default_layout_keeps_todays_ports_unless_an_offset_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRUNWAY_TESTENV_PORT_OFFSET", raising=False)
    assert plane.default_layout().ports.values() == (12379, 12380, 16443, 10257, 10259)
    monkeypatch.setenv("AIRUNWAY_TESTENV_PORT_OFFSET", "100")
    assert plane.default_layout().ports.apiserver == 16543


def test_a_process_counts_until_its_last_thread_is_gone_and_only_then_frees_its_port(tmp_path: Path) -> None:
    layout = plane.alternate_layout(tmp_path / "plane", plane.free_port_offset(PORT_OFFSET))
    layout.state.mkdir(parents=True)
    script = tmp_path / "leader-exits-first"
    script.write_text(_LEADER_EXITS_FIRST.format(python=sys.executable))
    script.chmod(0o755)
    port = layout.ports.etcd_client
    proc = subprocess.Popen(
        [str(script), str(port)], cwd=layout.state, stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"listening\n"
        wait_for(lambda: _state_letter(proc.pid) == "Z", 10, "the leader thread to exit")
        assert plane.busy_ports(layout) == [port]
        assert plane.processes(layout) == [proc.pid]
        os.killpg(proc.pid, signal.SIGKILL)
        wait_for(lambda: not plane.processes(layout), 30, "the killed process to be gone")
        assert plane.busy_ports(layout) == []
    finally:
        proc.kill()
        proc.wait()
