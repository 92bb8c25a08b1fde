"""Tag → digest over the OCI distribution API (registry HTTP API v2), with the standard library.

`RegistryClient.resolve("vllm/vllm-openai:cu130-nightly")` GETs
`/v2/<repository>/manifests/<tag>` accepting OCI indexes and manifests and Docker manifest lists
and v2 manifests, and returns the `Docker-Content-Digest` (else the SHA-256 of the body). The
creation time and revision come, best effort and inside the same deadline, from the image config
of the linux/amd64 entry (what upstream's go-containerregistry picks). Authentication follows the
registry's `WWW-Authenticate` challenge: `Bearer` (token endpoint with `service` and `scope`,
tokens cached until they expire) or `Basic`, with credentials looked up per registry host.

Docker Hub names: `vllm/vllm-openai`, `docker.io/...` and `index.docker.io/...` live on
`registry-1.docker.io`; a single-component name gains `library/` there. Blocking I/O: run it in a
worker thread. Never logs; every failure is a `RegistryError` whose text lands in status.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final

from providers.vllm.credentials import Credentials, CredentialsError, CredentialSource, anonymous

DOCKER_HUB: Final = "registry-1.docker.io"
DOCKER_HUB_ALIASES: Final = frozenset({"docker.io", "index.docker.io", DOCKER_HUB})
OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES: Final = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)
INDEX_TYPES: Final = frozenset({OCI_INDEX, DOCKER_LIST})
TIMEOUT_SECONDS: Final = 30.0
"""Upstream's bound on one resolution (`imageResolveTimeout`)."""
MAX_BODY: Final = 4 * 1024 * 1024
"""Manifests and image configs larger than this are refused (the OCI spec's manifest limit)."""
_REPOSITORY: Final = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_DIGEST: Final = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_PARAM: Final = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


class RegistryError(Exception):
    """A lookup failed; the message says where and why."""


@dataclass(frozen=True)
class ImageName:
    registry: str
    """host[:port] the API lives on (`registry-1.docker.io` for Docker Hub)."""
    repository: str
    reference: str
    """A tag or a digest."""

    @property
    def scope(self) -> str:
        return f"repository:{self.repository}:pull"


@dataclass(frozen=True)
class Resolution:
    digest: str
    created_at: str = ""
    """RFC 3339 UTC from the image config's `created`, else label `org.opencontainers.image.created`."""
    revision: str = ""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    """Lower-cased names; the first value of each."""
    body: bytes


Transport = Callable[[urllib.request.Request, float], Response]
"""Sends one request within a timeout (seconds); raises OSError when no answer comes."""


def parse_name(text: str) -> ImageName:
    """Registry, repository and tag/digest of an image reference, with Docker Hub's defaults."""
    name, _, digest = text.strip().partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "docker.io", name
    if registry in DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    if not _REPOSITORY.match(repository):
        raise RegistryError(f"invalid repository name {repository!r}")
    return ImageName(registry, repository, digest or tag or "latest")


def urllib_transport(context: ssl.SSLContext | None = None) -> Transport:
    """The real transport: urllib with the given TLS context; proxies from the environment."""
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))

    def send(request: urllib.request.Request, timeout: float) -> Response:
        try:
            with opener.open(request, timeout=timeout) as reply:
                return Response(reply.status, _headers(reply.headers), reply.read(MAX_BODY + 1))
        except urllib.error.HTTPError as err:
            with err:
                return Response(err.code, _headers(err.headers), err.read(MAX_BODY + 1))

    return send


def _headers(message: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in message.items():
        found.setdefault(key.lower(), value)
    return found


class RegistryClient:
    """Resolves tags against registries; thread-safe; caches bearer tokens until they expire."""

    def __init__(
        self,
        credentials: CredentialSource = anonymous,
        *,
        timeout: float = TIMEOUT_SECONDS,
        plain_http: Collection[str] = (),
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._plain_http = frozenset(host.strip() for host in plain_http if host.strip())
        self._send = transport or urllib_transport()
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._basic: dict[str, str] = {}
        """Registries known to take basic authentication → the header that worked last."""

    def resolve(self, reference: str) -> Resolution:
        """The manifest digest of `reference` (and what the image config says about it)."""
        name = parse_name(reference)
        deadline = self._clock() + self._timeout
        reply = self._get(name, f"manifests/{name.reference}", ", ".join(MANIFEST_TYPES), deadline)
        digest = _digest(reply)
        try:
            created_at, revision = self._metadata(name, reply, deadline)
        except (RegistryError, ValueError, KeyError, TypeError, AttributeError):
            created_at, revision = "", ""  # metadata is best effort, as upstream's
        return Resolution(digest, created_at, revision)

    # -- metadata --------------------------------------------------------------------------

    def _metadata(self, name: ImageName, reply: Response, deadline: float) -> tuple[str, str]:
        manifest = _json(reply.body)
        media_type = reply.headers.get("content-type", "").split(";")[0].strip()
        media_type = media_type or str(manifest.get("mediaType", ""))
        if media_type in INDEX_TYPES or "manifests" in manifest:
            child = _platform_entry(manifest["manifests"])
            accept = ", ".join((OCI_MANIFEST, DOCKER_MANIFEST))
            manifest = _json(self._get(name, f"manifests/{child}", accept, deadline).body)
        config_digest = manifest["config"]["digest"]
        config = _json(self._get(name, f"blobs/{config_digest}", "*/*", deadline).body)
        labels = (config.get("config") or {}).get("Labels") or {}
        created = _rfc3339(str(config.get("created") or ""))
        created = created or str(labels.get("org.opencontainers.image.created") or "").strip()
        return created, str(labels.get("org.opencontainers.image.revision") or "").strip()

    # -- requests and authentication -------------------------------------------------------

    def _get(self, name: ImageName, path: str, accept: str, deadline: float) -> Response:
        scheme = "http" if name.registry in self._plain_http else "https"
        url = f"{scheme}://{name.registry}/v2/{name.repository}/{path}"
        reply = self._request(url, accept, self._remembered(name), deadline)
        if reply.status == 401:
            authorization, with_credentials = self._authorize(name, reply, deadline)
            reply = self._request(url, accept, authorization, deadline)
            if reply.status in (401, 403):
                refused = (
                    f"the credentials for {name.registry} were rejected"
                    if with_credentials
                    else f"anonymous access was refused; configure credentials for {name.registry}"
                )
                raise RegistryError(f"GET {url}: {_status(reply)}; {refused}")
            if authorization.startswith("Basic "):
                with self._lock:
                    self._basic[name.registry] = authorization
        if reply.status != 200:
            raise RegistryError(f"GET {url}: {_status(reply)}")
        return reply

    def _request(self, url: str, accept: str, authorization: str | None, deadline: float) -> Response:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise RegistryError(f"GET {url}: no answer within {self._timeout:g}s")
        request = urllib.request.Request(url, headers={"Accept": accept}, method="GET")
        if authorization:
            # Never forwarded on a redirect (blob storage elsewhere must not see our token).
            request.add_unredirected_header("Authorization", authorization)
        try:
            reply = self._send(request, remaining)
        except (OSError, ValueError, http.client.HTTPException) as err:
            raise RegistryError(f"GET {url}: {_reason(err)}") from err
        if len(reply.body) > MAX_BODY:
            raise RegistryError(f"GET {url}: the answer exceeds {MAX_BODY} bytes")
        return reply

    def _remembered(self, name: ImageName) -> str | None:
        """An unexpired bearer token for this repository, or the basic header that worked."""
        with self._lock:
            cached = self._tokens.get((name.registry, name.scope))
            basic = self._basic.get(name.registry)
        if cached is not None and cached[1] > self._clock():
            return f"Bearer {cached[0]}"
        return basic

    def _authorize(self, name: ImageName, challenge: Response, deadline: float) -> tuple[str, bool]:
        """The `Authorization` value answering the challenge, and whether it carries credentials."""
        scheme, params = parse_challenge(challenge.headers.get("www-authenticate", ""))
        try:
            credentials = self._credentials(name.registry)
        except CredentialsError as err:
            raise RegistryError(str(err)) from err
        if scheme == "basic":
            if credentials is None:
                raise RegistryError(
                    f"{name.registry} requires basic authentication and no credentials are configured for it"
                )
            return credentials.basic(), True
        if scheme != "bearer" or not params.get("realm"):
            raise RegistryError(f"{name.registry} answered 401 with an unsupported challenge {scheme!r}")
        token, lifetime = self._fetch_token(name, params, credentials, deadline)
        with self._lock:
            self._tokens[(name.registry, name.scope)] = (token, self._clock() + lifetime)
        return f"Bearer {token}", credentials is not None

    def _fetch_token(
        self, name: ImageName, params: Mapping[str, str], credentials: Credentials | None, deadline: float
    ) -> tuple[str, float]:
        query = {"scope": params.get("scope") or name.scope}
        if params.get("service"):
            query["service"] = params["service"]
        if credentials is not None:
            query["account"] = credentials.username
        realm = params["realm"]
        url = f"{realm}{'&' if '?' in realm else '?'}{urllib.parse.urlencode(query)}"
        reply = self._request(url, "application/json", credentials.basic() if credentials else None, deadline)
        if reply.status != 200:
            rejected = (
                " (credentials rejected)" if credentials is not None and reply.status in (401, 403) else ""
            )
            raise RegistryError(f"token request to {realm}: {_status(reply)}{rejected}")
        try:
            answer = _json(reply.body)
            token = str(answer.get("token") or answer.get("access_token") or "")
            expires_in = float(answer.get("expires_in") or 60)
        except (RegistryError, ValueError, TypeError, AttributeError) as err:
            raise RegistryError(f"token request to {realm}: unreadable answer ({err})") from err
        if not token:
            raise RegistryError(f"token request to {realm}: the answer holds no token")
        # Refresh a little early: a token that expires mid-request costs a round trip.
        return token, max(expires_in * 0.9, 1.0)


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="…",service="…",scope="…"` → ("bearer", {realm, service, scope})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(rest)
    }
    return scheme.lower(), params


def _digest(reply: Response) -> str:
    computed = "sha256:" + hashlib.sha256(reply.body).hexdigest()
    header = reply.headers.get("docker-content-digest", "").strip()
    if not header:
        return computed
    if not _DIGEST.match(header):
        raise RegistryError(f"the registry returned an invalid digest {header!r}")
    if header.startswith("sha256:") and reply.body and header != computed:
        raise RegistryError(f"the manifest's digest {computed} differs from the registry's {header}")
    return header


def _platform_entry(entries: list[dict[str, Any]]) -> str:
    for entry in entries:
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == "amd64":
            return str(entry["digest"])
    return str(entries[0]["digest"])


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as err:
        raise RegistryError(f"unreadable JSON ({err})") from err
    if not isinstance(value, dict):
        raise RegistryError("the answer is not a JSON object")
    return value


def _rfc3339(text: str) -> str:
    """`created` of an image config as RFC 3339 UTC seconds; "" for the zero time or non-times."""
    trimmed = re.sub(r"\.\d+", "", text.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(trimmed)
    except ValueError:
        return ""
    if parsed.tzinfo is None or parsed.year <= 1:
        return ""
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(reply: Response) -> str:
    """`401 Unauthorized: UNAUTHORIZED: authentication required` from a registry error answer."""
    text = f"{reply.status}"
    try:
        errors = json.loads(reply.body).get("errors") or []
        details = "; ".join(f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in errors)
    except (ValueError, AttributeError, TypeError):
        details = ""
    return f"{text} {details}".strip() if details else f"{text} {_phrase(reply.status)}".strip()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reason(err: BaseException) -> str:
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(reason, TimeoutError):
        return "no answer before the timeout"
    text = str(reason.strerror if isinstance(reason, OSError) and reason.strerror else reason)
    return text or type(reason).__name__
