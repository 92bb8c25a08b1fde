"""Generate the test control plane's PKI: one CA signing every leaf (built on airunway_operator.tls).

Files written (PEM): ca, apiserver (serving, loopback + in-cluster SANs), admin (system:masters),
operator (unprivileged client, for RBAC tests), webhook (serving on 127.0.0.1) and the
service-account signing pair sa.key / sa.pub.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from airunway_operator import tls

_APISERVER_HOSTS = (
    "127.0.0.1",
    "10.96.0.1",
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


def generate(directory: Path) -> None:
    """Write a complete PKI into `directory` unless one is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "sa.pub").exists():
        return
    ca = tls.new_ca("airunway-test-ca")
    ca.write(directory / "ca.crt", directory / "ca.key")
    leaves = {
        "apiserver": tls.issue(ca, "kube-apiserver", server=True, hosts=_APISERVER_HOSTS),
        "admin": tls.issue(ca, "airunway-admin", server=False, organization="system:masters"),
        "operator": tls.issue(ca, "airunway-operator", server=False, organization="airunway-tests"),
        "webhook": tls.issue(ca, "127.0.0.1", server=True, hosts=("127.0.0.1", "localhost")),
    }
    for name, pair in leaves.items():
        pair.write(directory / f"{name}.crt", directory / f"{name}.key")
    sa = tls.new_key()
    tls.write_key(directory / "sa.key", sa)
    (directory / "sa.pub").write_bytes(
        sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
