"""Registry credentials from a Docker config JSON: the data of a `kubernetes.io/dockerconfigjson`
Secret (key `.dockerconfigjson`), mounted into the operator's pod as a file.

The provider never reads the Kubernetes API (it imports no client), so the pull secret reaches it
as data: the setting `AIRUNWAY_VLLM_REGISTRY_AUTH_FILE` names the mounted file (the chart's
`imageRegistrySecret` value mounts one). The file is read again on each lookup, so a rotated
Secret (the kubelet refreshes mounted Secrets) is picked up without a restart. Entries may carry
`auth` (base64 `user:password`) or `username`/`password`; keys may be a host, a host with a scheme
or path, or Docker Hub's `https://index.docker.io/v1/`. The legacy `.dockercfg` shape (entries at
the top level, no `auths`) is read too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

DOCKER_HUB_HOSTS: Final = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def basic(self) -> str:
        """The `Authorization` header value for HTTP basic authentication."""
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


CredentialSource = Callable[[str], Credentials | None]
"""Registry host (as the client contacts it) → credentials, or None for anonymous access."""


class CredentialsError(Exception):
    """The Docker config could not be read; the message names the file and the problem."""


def anonymous(_: str) -> Credentials | None:
    return None


def host_key(text: str) -> str:
    """The host a config key or registry name stands for; Docker Hub's names become `docker.io`."""
    host = text.strip().lower()
    for scheme in ("https://", "http://"):
        host = host.removeprefix(scheme)
    host = host.split("/", 1)[0]
    return "docker.io" if host in DOCKER_HUB_HOSTS else host


def parse_docker_config(data: Mapping[str, Any]) -> dict[str, Credentials]:
    """Credentials by host key from a Docker config (`{"auths": {...}}` or the legacy top level)."""
    auths = data.get("auths")
    entries: Mapping[str, Any] = auths if isinstance(auths, Mapping) else data
    found: dict[str, Credentials] = {}
    for key, entry in entries.items():
        if not isinstance(entry, Mapping):
            continue
        credentials = _entry(entry)
        if credentials is not None:
            found.setdefault(host_key(str(key)), credentials)
    return found


def _entry(entry: Mapping[str, Any]) -> Credentials | None:
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=False).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        return Credentials(username, password) if sep else None
    if entry.get("username") is not None and entry.get("password") is not None:
        return Credentials(str(entry["username"]), str(entry["password"]))
    return None


def from_file(path: Path) -> CredentialSource:
    """Credentials looked up in the Docker config at `path`, read anew on every call."""

    def lookup(registry: str) -> Credentials | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise CredentialsError(f"cannot read registry credentials from {path}: {err}") from err
        if not isinstance(data, Mapping):
            raise CredentialsError(f"cannot read registry credentials from {path}: not a JSON object")
        return parse_docker_config(data).get(host_key(registry))

    return lookup
