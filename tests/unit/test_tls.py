"""Webhook certificates: a mounted Secret is used as is; otherwise a self-signed CA serves the host."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from airunway_operator import tls


def test_self_signed_certificate_names_the_host_and_chains_to_its_ca(tmp_path: Path) -> None:
    files = tls.self_signed(["127.0.0.1", "localhost"], tmp_path)
    cert = x509.load_pem_x509_certificate(files.certfile.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    ca = x509.load_pem_x509_certificate(files.cafile.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert files.keyfile.stat().st_mode & 0o077 == 0
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certfile, files.keyfile)  # key matches the certificate


def test_mounted_secret_files_are_used_and_ca_falls_back_to_the_certificate(tmp_path: Path) -> None:
    tls.self_signed(["127.0.0.1"], tmp_path)
    (tmp_path / "ca.crt").unlink()
    files = tls.mounted(tmp_path)
    assert files.certfile == tmp_path / "tls.crt"
    assert files.cafile == tmp_path / "tls.crt"


def test_missing_mounted_files_are_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "tls.crt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"tls\.key"):
        tls.mounted(tmp_path)


def test_validity_is_counted_from_now_and_short_ones_are_barely_backdated() -> None:
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    ca = tls.new_ca("ca", datetime.timedelta(days=3650), now)
    assert ca.cert.not_valid_after_utc == now + datetime.timedelta(days=3650)
    assert ca.cert.not_valid_before_utc == now - datetime.timedelta(minutes=5)
    leaf = tls.issue(ca, "svc", server=True, hosts=["svc"], validity=datetime.timedelta(seconds=40), now=now)
    assert leaf.cert.not_valid_after_utc == now + datetime.timedelta(seconds=40)
    assert leaf.cert.not_valid_before_utc == now - datetime.timedelta(seconds=2)
    assert tls.load_certs(tls.cert_pem(ca.cert) + tls.cert_pem(leaf.cert)) == [ca.cert, leaf.cert]
    assert tls.load_key(tls.key_pem(leaf.key)).public_key() == leaf.cert.public_key()
