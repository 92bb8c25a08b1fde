"""Certificates for the admission webhook, built with `cryptography`.

Production mounts a Secret (cert-manager or any other issuer) holding tls.crt, tls.key and ca.crt;
development and tests get a throw-away CA plus a serving certificate for the webhook's host. kopf's
own certificate builder is not used: it depends on oscrypto, which cannot read OpenSSL 3 version
strings.
"""

from __future__ import annotations

import datetime
import ipaddress
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=3650)
#: Certificates start a little in the past so a clock running slightly behind still accepts them.
_BACKDATE = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def write(self, cert_path: Path, key_path: Path) -> None:
        cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        write_key(key_path, self.key)


@dataclass(frozen=True)
class ServingFiles:
    """Where the webhook server's certificate, key and CA bundle live."""

    certfile: Path
    keyfile: Path
    cafile: Path


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    """Write a private key in PEM, readable by the owner only."""
    path.touch(mode=0o600)
    path.write_bytes(key_pem(key))


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        key_encipherment=not ca,
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey,
    validity: datetime.timedelta,
    now: datetime.datetime | None,
) -> x509.CertificateBuilder:
    now = now or datetime.datetime.now(datetime.UTC)
    # Short test validities must not be eaten up by the back-dating.
    start = now - min(_BACKDATE, validity / 20)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + validity)
    )


def new_ca(
    common_name: str, validity: datetime.timedelta = _VALIDITY, now: datetime.datetime | None = None
) -> KeyPair:
    """A self-signed certificate authority, valid from `now` (the current time by default)."""
    key = new_key()
    cert = (
        _builder(_name(common_name), _name(common_name), key, validity, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert, key)


def issue(
    ca: KeyPair,
    common_name: str,
    *,
    server: bool,
    organization: str | None = None,
    hosts: Iterable[str] = (),
    validity: datetime.timedelta = _VALIDITY,
    now: datetime.datetime | None = None,
) -> KeyPair:
    """A leaf certificate signed by `ca`; `hosts` become IP or DNS subject alternative names."""
    key = new_key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(_name(common_name, organization), ca.cert.subject, key, validity, now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    sans = [_san(host) for host in hosts]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return KeyPair(builder.sign(ca.key, hashes.SHA256()), key)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def load_key(data: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_certs(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, in order."""
    return x509.load_pem_x509_certificates(data) if data.strip() else []


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def mounted(cert_dir: Path) -> ServingFiles:
    """Files of a mounted kubernetes.io/tls Secret; ca.crt falls back to tls.crt when absent."""
    certfile, keyfile, cafile = cert_dir / "tls.crt", cert_dir / "tls.key", cert_dir / "ca.crt"
    missing = [str(p) for p in (certfile, keyfile) if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"webhook certificate files missing: {', '.join(missing)}")
    return ServingFiles(certfile, keyfile, cafile if cafile.is_file() else certfile)


def self_signed(hosts: Iterable[str], directory: Path | None = None) -> ServingFiles:
    """A fresh CA and serving certificate for `hosts`, written to `directory` (a private temp dir)."""
    hosts = tuple(hosts)
    target = directory or Path(tempfile.mkdtemp(prefix="airunway-webhook-"))
    ca = new_ca("airunway-webhook-ca")
    serving = issue(ca, hosts[0] if hosts else "localhost", server=True, hosts=hosts)
    files = ServingFiles(target / "tls.crt", target / "tls.key", target / "ca.crt")
    serving.write(files.certfile, files.keyfile)
    files.cafile.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    return files
