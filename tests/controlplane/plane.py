"""Start, reuse and stop the local control plane: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok, as plain processes on loopback; and break them on purpose for fault tests.

A `Layout` says where one plane keeps its state (PKI, kubeconfigs, logs, pid files) and which
ports it binds; etcd's data lives on /dev/shm when available. The default layout is
`<repo>/.testenv/` with the default ports; a second plane with its own state directory and
shifted ports can run beside it. Every process runs in its own session so `down()` can stop it and
all of its children. `up()` is idempotent: a healthy running plane is reused; a failed start
stops everything it started.

Liveness never reads /proc/<pid>/cmdline: right after exec the kernel may still show it empty.
Processes started by this Python process are judged by their handle; processes of a plane started
earlier by another process (pid files) by /proc/<pid>/exe naming the component's binary.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.controlplane import binaries, pki

REPO = Path(__file__).resolve().parents[2]
CONTEXT = "airunway-local"
# Stop order is the reverse of this start order.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


@dataclass(frozen=True)
class Ports:
    """The loopback ports one plane binds. kwok binds none: it gets neither --server-address nor
    --node-port, the only flags that make it listen."""

    etcd_client: int = 12379
    etcd_peer: int = 12380
    apiserver: int = 16443
    kube_controller_manager: int = 10257
    kube_scheduler: int = 10259

    def shifted(self, offset: int) -> Ports:
        return Ports(**{f.name: getattr(self, f.name) + offset for f in dataclasses.fields(self)})

    def values(self) -> tuple[int, ...]:
        return dataclasses.astuple(self)


DEFAULT_PORTS = Ports()
ETCD_CLIENT_PORT = DEFAULT_PORTS.etcd_client
ETCD_PEER_PORT = DEFAULT_PORTS.etcd_peer
APISERVER_PORT = DEFAULT_PORTS.apiserver
KCM_PORT = DEFAULT_PORTS.kube_controller_manager
SCHEDULER_PORT = DEFAULT_PORTS.kube_scheduler


@dataclass(frozen=True)
class Layout:
    """Where one plane keeps its files and which ports it binds."""

    state: Path
    ports: Ports = DEFAULT_PORTS

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def pids(self) -> Path:
        return self.state / "pids"

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    @property
    def operator_kubeconfig(self) -> Path:
        return self.state / "operator.kubeconfig"

    @property
    def etcd_data(self) -> Path:
        digest = hashlib.sha256(str(self.state).encode()).hexdigest()[:10]
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else self.state
        return base / f"airunway-etcd-{digest}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.etcd_client}"

    @property
    def apiserver_url(self) -> str:
        return f"https://127.0.0.1:{self.ports.apiserver}"


def default_layout() -> Layout:
    """`$AIRUNWAY_TESTENV_DIR` (default `<repo>/.testenv`), ports shifted by
    `$AIRUNWAY_TESTENV_PORT_OFFSET` (default 0)."""
    state = Path(os.environ.get("AIRUNWAY_TESTENV_DIR", REPO / ".testenv"))
    offset = os.environ.get("AIRUNWAY_TESTENV_PORT_OFFSET", "0")
    try:
        return alternate_layout(state, int(offset))
    except ValueError:
        raise PlaneError(f"AIRUNWAY_TESTENV_PORT_OFFSET must be an integer, got {offset!r}") from None


def alternate_layout(state: Path, port_offset: int) -> Layout:
    """A plane in `state` whose ports are the defaults plus `port_offset`."""
    return Layout(state, DEFAULT_PORTS.shifted(port_offset))


def free_port_offset(first: int, step: int = 100, tries: int = 50) -> int:
    """The first offset from `first` (in `step`s) whose ports are all free now, for tests that need
    a plane beside others. With a step of 100, planes at different offsets never share a port."""
    for offset in range(first, first + step * tries, step):
        ports = DEFAULT_PORTS.shifted(offset)
        if max(ports.values()) > 65535:
            break
        if not busy_ports(Layout(Path("/nonexistent"), ports)):
            return offset
    raise PlaneError(f"no free port offset from {first} in {tries} steps of {step}")


# ---------------------------------------------------------------- processes


class PlaneError(RuntimeError):
    """The control plane could not be started (the message carries this run's log tail), or a
    fault could not be injected."""


# Handles of the processes this Python process started, by (absolute state dir, component).
_HANDLES: dict[tuple[Path, str], subprocess.Popen[bytes]] = {}


def _key(layout: Layout, name: str) -> tuple[Path, str]:
    return layout.state.absolute(), name


def _pid_file(layout: Layout, name: str) -> Path:
    return layout.pids / f"{name}.pid"


def _argv_file(layout: Layout, name: str) -> Path:
    return layout.pids / f"{name}.argv"


def _record(layout: Layout, name: str, pid: int, argv: Sequence[str]) -> None:
    """Remember a component's argv (for `start`) and pid (for later processes)."""
    layout.pids.mkdir(parents=True, exist_ok=True)
    _argv_file(layout, name).write_text(json.dumps(list(argv)))
    _pid_file(layout, name).write_text(str(pid))


def _recorded_argv(layout: Layout, name: str) -> list[str] | None:
    try:
        argv = json.loads(_argv_file(layout, name).read_text())
    except (OSError, ValueError):
        return None
    return [str(a) for a in argv] if isinstance(argv, list) and argv else None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ..."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _runs_binary(pid: int, binary: str) -> bool:
    """`pid` is a live (non-zombie) process executing `binary`."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    expected = os.path.realpath(binary)
    fields = _stat_fields(pid)
    # A binary rebuilt while its process runs shows as "<path> (deleted)".
    return exe in (expected, f"{expected} (deleted)") and fields is not None and fields[0] not in "ZX"


def _expected_binary(layout: Layout, name: str) -> str | None:
    argv = _recorded_argv(layout, name)
    if argv:
        return argv[0]
    try:  # a plane started before argv files existed
        return str(binaries.find()[name])
    except binaries.MissingBinariesError:
        return None


def _running_pid(layout: Layout, name: str) -> int | None:
    try:
        pid = int(_pid_file(layout, name).read_text())
    except (OSError, ValueError):
        return None
    handle = _HANDLES.get(_key(layout, name))
    if handle is not None and handle.pid == pid:
        return pid if handle.poll() is None else None
    binary = _expected_binary(layout, name)
    return pid if binary is not None and _runs_binary(pid, binary) else None


def _exit_code(layout: Layout, name: str) -> int | None:
    handle = _HANDLES.get(_key(layout, name))
    return None if handle is None else handle.poll()


def _live_task(pid: int) -> tuple[int, str] | None:
    """A thread of process `pid` that has not exited, with its state letter; None when none is left.

    A multi-threaded process killed by a signal can show its leader as a zombie while its other
    threads still exit, holding its files and sockets: it counts as live until the last is gone.
    """
    fields = _stat_fields(pid)
    if fields is None or fields[0] not in "ZX":
        return None if fields is None else (pid, fields[0])
    try:
        tids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return None
    for tid in tids:
        try:
            state = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state not in "ZX":
            return tid, state
    return None


def _group_states(pgid: int) -> dict[int, str]:
    """State letter of every live process of process group `pgid`."""
    states = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            live = _live_task(int(entry.name)) if fields is not None and int(fields[2]) == pgid else None
            if live is not None:
                states[int(entry.name)] = live[1]
    return states


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _wait_group(
    pgid: int,
    done: Callable[[dict[int, str]], bool],
    timeout: float,
    handle: subprocess.Popen[bytes] | None = None,
) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if handle is not None:
            handle.poll()  # reap our own child, or it lingers as a zombie
        if done(_group_states(pgid)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _stop(layout: Layout, name: str, grace: float = 10.0) -> None:
    pid = _running_pid(layout, name)
    handle = _HANDLES.pop(_key(layout, name), None)
    if pid is not None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            _signal_group(pid, sig)
            _signal_group(pid, signal.SIGCONT)  # a frozen process acts on SIGTERM only once continued
            if _wait_group(pid, lambda states: not states, grace, handle):
                break
    elif handle is not None:
        handle.poll()
    _pid_file(layout, name).unlink(missing_ok=True)


def _open_fresh_log(layout: Layout, name: str) -> Path:
    """Keep the previous run's log as `<name>.log.1` so error tails show only this run."""
    layout.logs.mkdir(parents=True, exist_ok=True)
    log = layout.logs / f"{name}.log"
    if log.exists():
        log.replace(layout.logs / f"{name}.log.1")
    return log


def _spawn(layout: Layout, name: str, argv: Sequence[str]) -> None:
    # Popen returns only after exec succeeded (or raises), so no wait for exec is needed here.
    with _open_fresh_log(layout, name).open("wb") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=layout.state,
        )
    _HANDLES[_key(layout, name)] = proc
    _record(layout, name, proc.pid, argv)


def _tail(layout: Layout, name: str, lines: int = 30) -> str:
    try:
        text = (layout.logs / f"{name}.log").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _wait(layout: Layout, name: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _running_pid(layout, name) is None:
            code = _exit_code(layout, name)
            how = f" with exit code {code}" if code is not None else ""
            raise PlaneError(f"{name} exited during start-up{how}:\n{_tail(layout, name)}")
        if check():
            return
        time.sleep(0.2)
    raise PlaneError(f"{name} not ready after {timeout:.0f}s:\n{_tail(layout, name)}")


def busy_ports(layout: Layout) -> list[int]:
    """The layout's ports something already listens on (on 127.0.0.1)."""
    busy = []
    for port in layout.ports.values():
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                busy.append(port)
    return busy


# ---------------------------------------------------------------- health


def _ssl_context(layout: Layout) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(layout.pki / "ca.crt"))
    ctx.load_cert_chain(layout.pki / "admin.crt", layout.pki / "admin.key")
    return ctx


def _get(url: str, ctx: ssl.SSLContext | None = None, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=timeout) as resp:
            return int(resp.status), bytes(resp.read())
    except urllib.error.HTTPError as err:
        return int(err.code), b""
    except (OSError, urllib.error.URLError):
        return 0, b""


def _etcd_healthy(layout: Layout) -> bool:
    return _get(f"{layout.etcd_url}/health")[0] == 200


def _apiserver_ready(layout: Layout) -> bool:
    return _api_get_ok(layout, "/readyz")


def _api_get_ok(layout: Layout, path: str) -> bool:
    return _get(f"{layout.apiserver_url}{path}", _ssl_context(layout))[0] == 200


def is_running(layout: Layout | None = None) -> bool:
    """True when every component runs and the API server answers /readyz."""
    layout = layout or default_layout()
    if any(_running_pid(layout, name) is None for name in COMPONENTS):
        return False
    return layout.kubeconfig.exists() and _apiserver_ready(layout)


# ---------------------------------------------------------------- configuration


def _kubeconfig(layout: Layout, user: str) -> str:
    def b64(name: str) -> str:
        return base64.b64encode((layout.pki / name).read_bytes()).decode()

    return f"""apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: {layout.apiserver_url}
    certificate-authority-data: {b64("ca.crt")}
users:
- name: {user}
  user:
    client-certificate-data: {b64(f"{user}.crt")}
    client-key-data: {b64(f"{user}.key")}
contexts:
- name: {CONTEXT}
  context: {{cluster: local, user: {user}}}
current-context: {CONTEXT}
"""


def _advertise_address() -> str | None:
    """A non-loopback address of this host; the API server refuses 127.0.0.1 here."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        address = str(info[4][0])
        if not address.startswith("127."):
            return address
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False).stdout.split()
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


_AUDIT_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
"""


def _audit_policy(layout: Layout) -> Path:
    path = layout.state / "audit-policy.yaml"
    path.write_text(_AUDIT_POLICY)
    return path


def _argv(layout: Layout, bins: dict[str, Path]) -> dict[str, list[str]]:
    p, kc = layout.pki, str(layout.kubeconfig)
    etcd_url, peer_url = layout.etcd_url, f"http://127.0.0.1:{layout.ports.etcd_peer}"
    advertise = _advertise_address()
    return {
        "etcd": [
            str(bins["etcd"]),
            "--name=node0",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=node0={peer_url}",
            "--auto-compaction-retention=1",
            "--quota-backend-bytes=8589934592",
            "--logger=zap",
            "--log-level=warn",
            "--unsafe-no-fsync=true",
        ],
        "kube-apiserver": [
            str(bins["kube-apiserver"]),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            f"--secure-port={layout.ports.apiserver}",
            *([f"--advertise-address={advertise}"] if advertise else []),
            f"--tls-cert-file={p / 'apiserver.crt'}",
            f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--client-ca-file={p / 'ca.crt'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={p / 'sa.pub'}",
            f"--service-account-signing-key-file={p / 'sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",
            "--profiling=false",
            # Audit log (metadata only): benchmarks count each client's requests by user agent.
            f"--audit-policy-file={_audit_policy(layout)}",
            f"--audit-log-path={layout.logs / 'audit.log'}",
            "--audit-log-format=json",
            "--audit-log-maxsize=200",
            "--audit-log-maxbackup=1",
            "--v=1",
        ],
        "kube-controller-manager": [
            str(bins["kube-controller-manager"]),
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--bind-address=127.0.0.1",
            f"--secure-port={layout.ports.kube_controller_manager}",
            "--leader-elect=false",
            f"--root-ca-file={p / 'ca.crt'}",
            f"--service-account-private-key-file={p / 'sa.key'}",
            f"--cluster-signing-cert-file={p / 'ca.crt'}",
            f"--cluster-signing-key-file={p / 'ca.key'}",
            "--controllers=*",
        ],
        "kube-scheduler": [
            str(bins["kube-scheduler"]),
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--bind-address=127.0.0.1",
            f"--secure-port={layout.ports.kube_scheduler}",
            "--leader-elect=false",
        ],
        "kwok": [
            str(bins["kwok"]),
            f"--kubeconfig={kc}",
            f"--config={binaries.kwok_stages(bins['kwok'])}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            "--manage-nodes-with-label-selector=",
            "--manage-single-node=",
            "--cidr=10.244.0.0/16",
            "--node-ip=10.0.0.1",
            "--node-lease-duration-seconds=40",
        ],
    }


# ---------------------------------------------------------------- lifecycle

# Seconds a started component may take to become healthy (generous: loaded 2-core machines).
_READY_TIMEOUT = {"etcd": 60.0, "kube-apiserver": 120.0}


def _health(layout: Layout, name: str) -> Callable[[], bool]:
    if name == "etcd":
        return lambda: _etcd_healthy(layout)
    if name == "kube-apiserver":
        return lambda: _apiserver_ready(layout)
    return lambda: True


def _start_all(layout: Layout, bins: dict[str, Path]) -> None:
    busy = busy_ports(layout)
    if busy:
        raise PlaneError(f"ports {busy} of {layout.state} are already in use on 127.0.0.1")
    layout.state.mkdir(parents=True, exist_ok=True)
    pki.generate(layout.pki)
    layout.kubeconfig.write_text(_kubeconfig(layout, "admin"))
    layout.operator_kubeconfig.write_text(_kubeconfig(layout, "operator"))
    argv = _argv(layout, bins)
    layout.etcd_data.mkdir(parents=True, exist_ok=True)
    for name in ("etcd", "kube-apiserver"):
        _spawn(layout, name, argv[name])
        _wait(layout, name, _health(layout, name), _READY_TIMEOUT[name])
    _wait(layout, "kube-apiserver", lambda: _api_get_ok(layout, "/api/v1/namespaces/default"), 60)
    for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
        _spawn(layout, name, argv[name])
    _wait(
        layout,
        "kube-controller-manager",
        lambda: _api_get_ok(layout, "/api/v1/namespaces/default/serviceaccounts/default"),
        60,
    )


def up(layout: Layout | None = None, gpu_nodes: int = 4) -> Layout:
    """Bring the plane up (or reuse a healthy one) and make sure the fake GPU nodes exist.

    A failed start stops every component it started and raises PlaneError (or the error of the
    GPU node set-up), so a retry starts clean.
    """
    from tests.controlplane import nodes

    layout = layout or default_layout()
    if is_running(layout):
        nodes.ensure_gpu_nodes(layout.kubeconfig, gpu_nodes)
        return layout
    bins = binaries.find()
    down(layout)
    try:
        _start_all(layout, bins)
        nodes.ensure_gpu_nodes(layout.kubeconfig, gpu_nodes)
    except BaseException:
        down(layout)
        raise
    return layout


def down(layout: Layout | None = None) -> None:
    """Stop every component (children included) and delete the cluster's data."""
    layout = layout or default_layout()
    for name in reversed(COMPONENTS):
        _stop(layout, name)
    shutil.rmtree(layout.etcd_data, ignore_errors=True)
    layout.kubeconfig.unlink(missing_ok=True)
    layout.operator_kubeconfig.unlink(missing_ok=True)


def status(layout: Layout | None = None) -> dict[str, int | None]:
    layout = layout or default_layout()
    return {name: _running_pid(layout, name) for name in COMPONENTS}


def processes(layout: Layout) -> list[int]:
    """Live processes working in the plane's state directory: every component runs there, so after
    `down()` this is empty unless something escaped."""
    state = str(layout.state.resolve())
    found = []
    for entry in Path("/proc").iterdir():
        live = _live_task(int(entry.name)) if entry.name.isdigit() else None
        if live is None or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "task" / str(live[0]) / "cwd")
        except OSError:
            continue
        if cwd == state:
            found.append(int(entry.name))
    return found


# ---------------------------------------------------------------- fault injection


def _live_pid(layout: Layout, name: str) -> int:
    if name not in COMPONENTS:
        raise PlaneError(f"unknown component {name!r}; expected one of {', '.join(COMPONENTS)}")
    pid = _running_pid(layout, name)
    if pid is None:
        raise PlaneError(f"{name} of {layout.state} is not running")
    return pid


def kill(layout: Layout, name: str) -> None:
    """SIGKILL the component's process group and wait until no process of it is left."""
    pid = _live_pid(layout, name)
    handle = _HANDLES.pop(_key(layout, name), None)
    _signal_group(pid, signal.SIGKILL)
    if not _wait_group(pid, lambda states: not states, 30, handle):
        raise PlaneError(f"{name} (process group {pid}) still runs 30 s after SIGKILL")
    _pid_file(layout, name).unlink(missing_ok=True)


def start(layout: Layout, name: str) -> None:
    """Start one component again with the argv it had and wait until it is healthy: etcd answers
    /health, the API server /readyz, the others run. A running component is only waited for."""
    argv = _recorded_argv(layout, name)
    if name not in COMPONENTS or argv is None:
        raise PlaneError(f"{name} was never started in {layout.state}")
    if _running_pid(layout, name) is None:
        _spawn(layout, name, argv)
    _wait(layout, name, _health(layout, name), _READY_TIMEOUT.get(name, 60.0))


def freeze(layout: Layout, name: str) -> None:
    """SIGSTOP the component's process group; returns once every process of it is stopped."""
    pid = _live_pid(layout, name)
    _signal_group(pid, signal.SIGSTOP)
    if not _wait_group(pid, lambda states: bool(states) and all(s == "T" for s in states.values()), 30):
        raise PlaneError(f"{name} (process group {pid}) did not stop within 30 s")


def thaw(layout: Layout, name: str) -> None:
    """SIGCONT the component's process group; returns once no process of it is stopped."""
    pid = _live_pid(layout, name)
    _signal_group(pid, signal.SIGCONT)
    if not _wait_group(pid, lambda states: "T" not in states.values(), 30):
        raise PlaneError(f"{name} (process group {pid}) did not continue within 30 s")
