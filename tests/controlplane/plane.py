"""Start, reuse and stop the local control plane: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok, as plain processes on loopback.

State lives in `<repo>/.testenv/` (PKI, kubeconfigs, logs, pid files); etcd's data lives on
/dev/shm when available. Every process runs in its own session so `down()` can stop it and all
of its children. `up()` is idempotent: a healthy running plane is reused.
"""

from __future__ import annotations

import base64
import hashlib
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
ETCD_CLIENT_PORT = 12379
ETCD_PEER_PORT = 12380
APISERVER_PORT = 16443
KCM_PORT = 10257
SCHEDULER_PORT = 10259
CONTEXT = "airunway-local"
# Stop order is the reverse of this start order.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


@dataclass(frozen=True)
class Layout:
    """Where one plane keeps its files."""

    state: Path

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


def default_layout() -> Layout:
    return Layout(Path(os.environ.get("AIRUNWAY_TESTENV_DIR", REPO / ".testenv")))


# ---------------------------------------------------------------- processes


class PlaneError(RuntimeError):
    """The control plane could not be started; the message carries the failing log tail."""


def _pid_file(layout: Layout, name: str) -> Path:
    return layout.pids / f"{name}.pid"


def _running_pid(layout: Layout, name: str) -> int | None:
    try:
        pid = int(_pid_file(layout, name).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    if state == "Z" or name.encode() not in cmdline:
        return None
    return pid


def _start(layout: Layout, name: str, argv: Sequence[str]) -> None:
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.pids.mkdir(parents=True, exist_ok=True)
    with (layout.logs / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=layout.state,
        )
    _pid_file(layout, name).write_text(str(proc.pid))
    # Until exec() completes, /proc/<pid>/cmdline still shows our Python. On a loaded 2-core
    # machine forking a large test process took more than 5 s once, so wait generously.
    deadline = time.monotonic() + 120
    while proc.poll() is None:
        try:
            if os.readlink(f"/proc/{proc.pid}/exe") == os.path.realpath(argv[0]):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise PlaneError(f"{name} did not start within 120 s")
        time.sleep(0.01)


def _stop(layout: Layout, name: str, grace: float = 10.0) -> None:
    pid = _running_pid(layout, name)
    if pid is not None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _running_pid(layout, name) is not None:
                time.sleep(0.1)
            if _running_pid(layout, name) is None:
                break
    _pid_file(layout, name).unlink(missing_ok=True)


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
            raise PlaneError(f"{name} exited during start-up:\n{_tail(layout, name)}")
        if check():
            return
        time.sleep(0.2)
    raise PlaneError(f"{name} not ready after {timeout:.0f}s:\n{_tail(layout, name)}")


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


def _etcd_healthy() -> bool:
    return _get(f"http://127.0.0.1:{ETCD_CLIENT_PORT}/health")[0] == 200


def _apiserver_ready(layout: Layout) -> bool:
    return _get(f"https://127.0.0.1:{APISERVER_PORT}/readyz", _ssl_context(layout))[0] == 200


def _api_get_ok(layout: Layout, path: str) -> bool:
    return _get(f"https://127.0.0.1:{APISERVER_PORT}{path}", _ssl_context(layout))[0] == 200


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
    server: https://127.0.0.1:{APISERVER_PORT}
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
    etcd_url = f"http://127.0.0.1:{ETCD_CLIENT_PORT}"
    advertise = _advertise_address()
    return {
        "etcd": [
            str(bins["etcd"]),
            "--name=node0",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{ETCD_PEER_PORT}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{ETCD_PEER_PORT}",
            f"--initial-cluster=node0=http://127.0.0.1:{ETCD_PEER_PORT}",
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
            f"--secure-port={APISERVER_PORT}",
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
            f"--secure-port={KCM_PORT}",
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
            f"--secure-port={SCHEDULER_PORT}",
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


def up(layout: Layout | None = None, gpu_nodes: int = 4) -> Layout:
    """Bring the plane up (or reuse a healthy one) and make sure the fake GPU nodes exist."""
    from tests.controlplane import nodes

    layout = layout or default_layout()
    if not is_running(layout):
        bins = binaries.find()
        down(layout)
        layout.state.mkdir(parents=True, exist_ok=True)
        pki.generate(layout.pki)
        layout.kubeconfig.write_text(_kubeconfig(layout, "admin"))
        layout.operator_kubeconfig.write_text(_kubeconfig(layout, "operator"))
        argv = _argv(layout, bins)
        layout.etcd_data.mkdir(parents=True, exist_ok=True)
        _start(layout, "etcd", argv["etcd"])
        _wait(layout, "etcd", _etcd_healthy, 30)
        _start(layout, "kube-apiserver", argv["kube-apiserver"])
        _wait(layout, "kube-apiserver", lambda: _apiserver_ready(layout), 90)
        _wait(layout, "kube-apiserver", lambda: _api_get_ok(layout, "/api/v1/namespaces/default"), 60)
        for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
            _start(layout, name, argv[name])
        _wait(
            layout,
            "kube-controller-manager",
            lambda: _api_get_ok(layout, "/api/v1/namespaces/default/serviceaccounts/default"),
            60,
        )
    nodes.ensure_gpu_nodes(layout.kubeconfig, gpu_nodes)
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
