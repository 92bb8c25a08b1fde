"""Generate the test control plane's PKI with `cryptography`: one CA signing every leaf.

Files written (PEM): ca, apiserver (serving, loopback + in-cluster SANs), admin (system:masters),
operator (unprivileged client, for RBAC tests), webhook (serving on 127.0.0.1) and the
service-account signing pair sa.key / sa.pub.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class Leaf:
    name: str
    common_name: str
    organization: str | None
    server: bool
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


LEAVES: tuple[Leaf, ...] = (
    Leaf(
        "apiserver",
        "kube-apiserver",
        None,
        server=True,
        dns=(
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ),
        ips=("127.0.0.1", "10.96.0.1"),
    ),
    Leaf("admin", "airunway-admin", "system:masters", server=False),
    Leaf("operator", "airunway-operator", "airunway-tests", server=False),
    Leaf("webhook", "127.0.0.1", None, server=True, dns=("localhost",), ips=("127.0.0.1",)),
)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: rsa.RSAPublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _VALIDITY)
    )


def _leaf_cert(
    leaf: Leaf, ca_key: rsa.RSAPrivateKey, ca_name: x509.Name
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _new_key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if leaf.server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(_name(leaf.common_name, leaf.organization), ca_name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in leaf.dns]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in leaf.ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def generate(directory: Path) -> None:
    """Write a complete PKI into `directory` unless one is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    if all((directory / f"{leaf.name}.crt").exists() for leaf in LEAVES) and (directory / "sa.pub").exists():
        return
    ca_key = _new_key()
    ca_name = _name("airunway-test-ca")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(directory / "ca.key", ca_key)
    (directory / "ca.crt").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for leaf in LEAVES:
        cert, key = _leaf_cert(leaf, ca_key, ca_name)
        _write_key(directory / f"{leaf.name}.key", key)
        (directory / f"{leaf.name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    sa_key = _new_key()
    _write_key(directory / "sa.key", sa_key)
    (directory / "sa.pub").write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
