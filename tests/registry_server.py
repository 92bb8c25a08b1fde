"""A real CNCF distribution registry on loopback for the image-resolution tests: built by
`tests/controlplane/build.sh registry`, started with a temporary config (filesystem storage),
over plain HTTP without authentication or over TLS with htpasswd authentication, and fed with
plain HTTP calls (config blob, layer, manifest, index). Under CI=true a missing binary fails."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from providers.vllm import registry
from providers.vllm.credentials import Credentials
from tests.controlplane import binaries
from tests.support import wait_for

CREATED = "2026-03-07T11:00:00.123456789Z"
REVISION = "0123abcd"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def registry_binary() -> Path:
    path = binaries.cache_root() / f"registry-{binaries.versions()['REGISTRY']}" / "registry"
    if not os.access(path, os.X_OK):
        message = f"{path} missing: build it with `tests/controlplane/build.sh registry`"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(folder: Path, key: ec.EllipticCurvePrivateKey | None = None) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA (trusted through the CA-file setting)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "airunway test registry")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "tls.crt", folder / "tls.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, private


@dataclass
class Registry:
    """One running registry process."""

    host: str
    process: subprocess.Popen[bytes]
    log: Path
    ca_file: Path | None = None
    credentials: Credentials | None = None
    tokens: TokenServer | None = None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()

    @property
    def scheme(self) -> str:
        return "http" if self.ca_file is None else "https"

    def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> Any:
        url = path if path.startswith("http") else f"{self.scheme}://{self.host}{path}"
        headers = {"Content-Type": content_type} if content_type else {}
        if self.credentials is not None:
            headers["Authorization"] = self.credentials.basic()
        if self.tokens is not None:
            found = re.search(r"/v2/(.+?)/(?:blobs|manifests)/", url)
            assert found, url
            headers["Authorization"] = f"Bearer {self.tokens.issue(f'repository:{found.group(1)}:pull,push')}"
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        request = urllib.request.Request(url, data=body or None, headers=headers, method=method)
        return urllib.request.urlopen(request, timeout=10, context=context)

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self.request("POST", f"/v2/{repository}/blobs/uploads/") as started:
            location = started.headers["Location"]
        if location.startswith("/"):
            location = f"{self.scheme}://{self.host}{location}"
        separator = "&" if "?" in location else "?"
        with self.request("PUT", f"{location}{separator}digest={digest}", data, "application/octet-stream"):
            return digest

    def push_manifest(self, repository: str, tag: str, manifest: dict[str, Any]) -> str:
        body = json.dumps(manifest).encode()
        with self.request("PUT", f"/v2/{repository}/manifests/{tag}", body, manifest["mediaType"]) as done:
            assert done.headers["Docker-Content-Digest"] == "sha256:" + hashlib.sha256(body).hexdigest()
            return str(done.headers["Docker-Content-Digest"])

    def push_image(self, repository: str, tag: str) -> tuple[str, int]:
        """A single-platform image under `tag`; returns its manifest digest and size."""
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "created": CREATED,
                "config": {"Labels": {"org.opencontainers.image.revision": REVISION}},
                "rootfs": {"type": "layers", "diff_ids": []},
            }
        ).encode()
        layer = b"airunway test layer"
        manifest = {
            "schemaVersion": 2,
            "mediaType": registry.OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": self.push_blob(repository, config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": self.push_blob(repository, layer),
                    "size": len(layer),
                }
            ],
        }
        digest = self.push_manifest(repository, tag, manifest)
        return digest, len(json.dumps(manifest).encode())

    def push_index(self, repository: str, tag: str) -> tuple[str, str]:
        """An index whose linux/amd64 entry is a pushed image; returns (index, image) digests."""
        child, size = self.push_image(repository, f"{tag}-amd64")
        index = {
            "schemaVersion": 2,
            "mediaType": registry.OCI_INDEX,
            "manifests": [
                {
                    "mediaType": registry.OCI_MANIFEST,
                    "digest": child,
                    "size": size,
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
            ],
        }
        return self.push_manifest(repository, tag, index), child


def start(folder: Path, *, secure: bool, tokens: TokenServer | None = None) -> Registry:
    """A registry on a free loopback port; `secure`: TLS plus htpasswd (distribution needs TLS for
    htpasswd). The htpasswd file is absent, so the registry provisions user `docker` with a random
    password and logs it: no bcrypt implementation is needed here. `tokens`: plain HTTP with
    bearer-token authentication by that token server."""
    folder.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    http: dict[str, Any] = {"addr": host, "secret": "airunway-test"}
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}},
        "http": http,
    }
    ca_file = None
    if secure:
        ca_file, key = self_signed(folder)
        http["tls"] = {"certificate": str(ca_file), "key": str(key)}
        config["auth"] = {"htpasswd": {"realm": "airunway-test", "path": str(folder / "htpasswd")}}
    elif tokens is not None:
        config["auth"] = {
            "token": {
                "realm": tokens.realm,
                "service": TokenServer.SERVICE,
                "issuer": TokenServer.ISSUER,
                "rootcertbundle": str(tokens.certificate),
            }
        }
    (folder / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    log = folder / "registry.log"
    process = subprocess.Popen(
        [str(registry_binary()), "serve", str(folder / "config.yml")],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Registry(host, process, log, ca_file, tokens=tokens)
    wait_for(lambda: f"listening on {host}" in log.read_text() or process.poll() is not None, 30, "registry")
    assert process.poll() is None, log.read_text()
    if secure:
        found = re.search(r"password=(\S+) user=(\S+)", log.read_text())
        assert found, log.read_text()
        server.credentials = Credentials(found.group(2), found.group(1))
    return server


class TokenServer:
    """A Docker token endpoint on loopback (the realm of a bearer challenge): it checks basic
    credentials when it has some and grants whatever scope is asked for, in an ES256 JWT whose
    `x5c` certificate is the registry's trusted root. Records every request it answers."""

    SERVICE = "airunway-test-registry"
    ISSUER = "airunway-test-issuer"

    def __init__(self, folder: Path, credentials: Credentials | None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.certificate, _ = self_signed(folder, self._key)
        der = x509.load_pem_x509_certificate(self.certificate.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
        self._x5c = base64.b64encode(der).decode()
        self.credentials = credentials
        self.seen: list[tuple[dict[str, list[str]], str | None]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, scope: str | None) -> str:
        """A token granting `scope` (`repository:<name>:<actions>`); None grants nothing."""
        access = []
        if scope is not None:
            kind, name, actions = scope.split(":", 2)
            access = [{"type": kind, "name": name, "actions": actions.split(",")}]
        now = int(time.time())
        claims = {
            "iss": self.ISSUER,
            "sub": self.credentials.username if self.credentials else "",
            "aud": self.SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        header = {"alg": "ES256", "typ": "JWT", "x5c": [self._x5c]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                authorization = self.headers.get("Authorization")
                server.seen.append((query, authorization))
                expected = server.credentials.basic() if server.credentials else None
                if authorization is not None and authorization != expected:
                    self._answer(401, {"details": "incorrect username or password"})
                    return
                # Anonymous callers get a token that grants nothing (as Docker Hub does for a
                # private repository); the registry then refuses it.
                scope = query["scope"][0] if authorization == expected else None
                self._answer(200, {"token": server.issue(scope), "expires_in": 300})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        return Handler


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
