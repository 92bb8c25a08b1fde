"""The registry client of Direct vLLM image resolution (`providers.vllm.registry`), its Docker-config
credentials and the settings-built lookup with back-off, over a scripted transport. The same
client against a real registry: tests/integration/test_image_registry.py."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from providers.vllm import credentials, image, lookup, registry
from providers.vllm.credentials import Credentials
from providers.vllm.registry import RegistryClient, RegistryError, Response

HUB = "https://registry-1.docker.io/v2/vllm/vllm-openai"
TOKEN_URL = "https://auth.docker.io/token"
CHALLENGE = (
    f'Bearer realm="{TOKEN_URL}",service="registry.docker.io",scope="repository:vllm/vllm-openai:pull"'
)
Handler = Callable[[urllib.request.Request], Response]


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def answer(status: int = 200, body: Any = b"", **headers: str) -> Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status, {k.replace("_", "-").lower(): v for k, v in headers.items()}, data)


def manifest_answer(manifest: dict[str, Any], with_digest: bool = True) -> Response:
    body = json.dumps(manifest).encode()
    headers = {"content-type": str(manifest.get("mediaType", ""))}
    if with_digest:
        headers["docker-content-digest"] = digest_of(body)
    return Response(200, headers, body)


IMAGE = {
    "schemaVersion": 2,
    "mediaType": registry.OCI_MANIFEST,
    "config": {"digest": "sha256:c0"},
    "layers": [],
}
CONFIG = {
    "created": "2026-03-07T11:00:00.123456789Z",
    "config": {"Labels": {"org.opencontainers.image.revision": "r1"}},
}


@dataclass
class Scripted:
    """A transport answering by URL (without the query), in order for repeated URLs."""

    routes: dict[str, list[Response | Handler]]
    clock: list[float] = field(default_factory=lambda: [0.0])
    seen: list[urllib.request.Request] = field(default_factory=list)

    def __call__(self, request: urllib.request.Request, timeout: float) -> Response:
        self.seen.append(request)
        url = request.full_url.split("?")[0]
        queue = self.routes.get(url)
        if not queue:
            return answer(404, {"errors": [{"code": "NOT_SCRIPTED", "message": url}]})
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        return step(request) if callable(step) else step

    def client(
        self, source: credentials.CredentialSource = credentials.anonymous, **kwargs: Any
    ) -> RegistryClient:
        return RegistryClient(source, transport=self, clock=lambda: self.clock[0], **kwargs)

    def urls(self) -> list[str]:
        return [r.full_url for r in self.seen]


def authorization(request: urllib.request.Request) -> str | None:
    return request.unredirected_hdrs.get("Authorization")


def only(username: str, password: str) -> credentials.CredentialSource:
    return lambda host: Credentials(username, password)


# -- names and challenges -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "vllm/vllm-openai:cu130-nightly",
            (registry.DOCKER_HUB, "vllm/vllm-openai", "cu130-nightly"),
            id="hub user repository",
        ),
        pytest.param(
            "ubuntu",
            (registry.DOCKER_HUB, "library/ubuntu", "latest"),
            id="hub official image gains library/ and latest",
        ),
        pytest.param(
            "docker.io/ubuntu:22.04", (registry.DOCKER_HUB, "library/ubuntu", "22.04"), id="docker.io prefix"
        ),
        pytest.param(
            "index.docker.io/vllm/vllm-openai:latest",
            (registry.DOCKER_HUB, "vllm/vllm-openai", "latest"),
            id="index.docker.io prefix",
        ),
        pytest.param(
            "localhost:5000/team/model:v1", ("localhost:5000", "team/model", "v1"), id="registry with port"
        ),
        pytest.param(
            "localhost/model", ("localhost", "model", "latest"), id="localhost without a library prefix"
        ),
        pytest.param("ghcr.io/org/img@sha256:ab", ("ghcr.io", "org/img", "sha256:ab"), id="digest reference"),
        pytest.param(
            "registry.example.com:8443/a/b/c:t", ("registry.example.com:8443", "a/b/c", "t"), id="nested path"
        ),
    ],
)
def test_image_names(text: str, expected: tuple[str, str, str]) -> None:
    name = registry.parse_name(text)
    assert (name.registry, name.repository, name.reference) == expected


def test_an_invalid_repository_name_is_refused() -> None:
    with pytest.raises(RegistryError, match="invalid repository name 'Team/Model'"):
        registry.parse_name("example.com/Team/Model:v1")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            CHALLENGE,
            (
                "bearer",
                {
                    "realm": TOKEN_URL,
                    "service": "registry.docker.io",
                    "scope": "repository:vllm/vllm-openai:pull",
                },
            ),
        ),
        ('Basic realm="Registry Realm"', ("basic", {"realm": "Registry Realm"})),
        (
            "Bearer realm=https://t.example/token, service=reg",
            ("bearer", {"realm": "https://t.example/token", "service": "reg"}),
        ),
    ],
)
def test_challenges(header: str, expected: tuple[str, dict[str, str]]) -> None:
    assert registry.parse_challenge(header) == expected


# -- tag to digest ------------------------------------------------------------------------------


def test_anonymous_bearer_flow_then_the_cached_token() -> None:
    body = json.dumps(IMAGE).encode()
    transport = Scripted(
        {
            f"{HUB}/manifests/cu130-nightly": [
                answer(401, www_authenticate=CHALLENGE),
                manifest_answer(IMAGE),
                manifest_answer(IMAGE),
            ],
            TOKEN_URL: [answer(200, {"token": "t1", "expires_in": 300})],
            f"{HUB}/blobs/sha256:c0": [answer(200, CONFIG)],
        }
    )
    client = transport.client()
    found = client.resolve("vllm/vllm-openai:cu130-nightly")
    assert found == registry.Resolution(digest_of(body), "2026-03-07T11:00:00Z", "r1")
    token_request = transport.seen[1]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(token_request.full_url).query) == {
        "scope": ["repository:vllm/vllm-openai:pull"],
        "service": ["registry.docker.io"],
    }
    assert authorization(token_request) is None
    assert authorization(transport.seen[2]) == "Bearer t1"
    accept = transport.seen[0].get_header("Accept") or ""
    assert [t for t in registry.MANIFEST_TYPES if t in accept] == list(registry.MANIFEST_TYPES)
    transport.seen.clear()
    client.resolve("vllm/vllm-openai:cu130-nightly")
    assert transport.urls()[0] == f"{HUB}/manifests/cu130-nightly"  # no 401 round trip
    assert authorization(transport.seen[0]) == "Bearer t1"


def test_an_expired_token_is_fetched_again() -> None:
    transport = Scripted(
        {
            f"{HUB}/manifests/latest": [
                answer(401, www_authenticate=CHALLENGE),
                manifest_answer(IMAGE),
                manifest_answer(IMAGE),
                answer(401, www_authenticate=CHALLENGE),
                manifest_answer(IMAGE),
            ],
            TOKEN_URL: [answer(200, {"access_token": "t1", "expires_in": 60}), answer(200, {"token": "t2"})],
            f"{HUB}/blobs/sha256:c0": [answer(200, CONFIG)],
        }
    )
    client = transport.client()
    client.resolve("vllm/vllm-openai:latest")
    transport.clock[0] = 50.0
    transport.seen.clear()
    client.resolve("vllm/vllm-openai:latest")
    assert authorization(transport.seen[0]) == "Bearer t1"
    transport.clock[0] = 55.0  # past 90 % of the 60 s lifetime: not sent any more
    transport.seen.clear()
    client.resolve("vllm/vllm-openai:latest")
    assert [authorization(r) for r in transport.seen[:3]] == [None, None, "Bearer t2"]


def test_bearer_with_credentials_sends_them_to_the_token_endpoint() -> None:
    transport = Scripted(
        {
            f"{HUB}/manifests/latest": [answer(401, www_authenticate=CHALLENGE), manifest_answer(IMAGE)],
            TOKEN_URL: [answer(200, {"token": "t"})],
        }
    )
    transport.client(only("me", "pw")).resolve("vllm/vllm-openai:latest")
    token_request = transport.seen[1]
    assert authorization(token_request) == "Basic " + base64.b64encode(b"me:pw").decode()
    assert "account=me" in token_request.full_url


def test_rejected_credentials_at_the_token_endpoint_say_so() -> None:
    transport = Scripted(
        {
            f"{HUB}/manifests/latest": [answer(401, www_authenticate=CHALLENGE)],
            TOKEN_URL: [answer(401, {"details": "incorrect username or password"})],
        }
    )
    with pytest.raises(
        RegistryError, match=rf"^token request to {TOKEN_URL}: 401 Unauthorized \(credentials rejected\)$"
    ):
        transport.client(only("me", "wrong")).resolve("vllm/vllm-openai:latest")


def test_basic_authentication_and_rejected_credentials() -> None:
    url = "https://reg.example.com/v2/team/model/manifests/v1"
    unauthorized = answer(
        401,
        {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
        www_authenticate='Basic realm="r"',
    )
    good = Scripted({url: [unauthorized, manifest_answer(IMAGE)]})
    client = good.client(only("u", "p"))
    client.resolve("reg.example.com/team/model:v1")
    assert authorization(good.seen[1]) == Credentials("u", "p").basic()
    good.seen.clear()
    client.resolve("reg.example.com/team/model:v1")  # basic is remembered: no 401 round trip
    manifests = [(r.full_url, authorization(r)) for r in good.seen if "/manifests/" in r.full_url]
    assert manifests == [(url, Credentials("u", "p").basic())]
    bad = Scripted({url: [unauthorized]})
    with pytest.raises(RegistryError) as raised:
        bad.client(only("u", "nope")).resolve("reg.example.com/team/model:v1")
    assert str(raised.value) == (
        f"GET {url}: 401 UNAUTHORIZED: authentication required; "
        "the credentials for reg.example.com were rejected"
    )
    anonymous = Scripted({url: [unauthorized]})
    with pytest.raises(
        RegistryError, match=r"reg\.example\.com requires basic authentication and no credentials"
    ):
        anonymous.client().resolve("reg.example.com/team/model:v1")


def test_plain_http_only_for_the_named_hosts() -> None:
    transport = Scripted({"http://127.0.0.1:5000/v2/m/manifests/v1": [manifest_answer(IMAGE)]})
    transport.client(plain_http=[" 127.0.0.1:5000 "]).resolve("127.0.0.1:5000/m:v1")
    assert transport.urls()[0] == "http://127.0.0.1:5000/v2/m/manifests/v1"


def test_without_a_digest_header_the_body_is_hashed() -> None:
    body = json.dumps(IMAGE).encode()
    transport = Scripted({f"{HUB}/manifests/latest": [manifest_answer(IMAGE, with_digest=False)]})
    assert transport.client().resolve("vllm/vllm-openai:latest").digest == digest_of(body)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("sha256:" + "0" * 64, "differs from the registry's"),
        ("not a digest", "invalid digest"),
    ],
)
def test_a_wrong_or_invalid_digest_header_fails(header: str, error: str) -> None:
    reply = manifest_answer(IMAGE)
    transport = Scripted(
        {
            f"{HUB}/manifests/latest": [
                Response(200, {**reply.headers, "docker-content-digest": header}, reply.body)
            ]
        }
    )
    with pytest.raises(RegistryError, match=error):
        transport.client().resolve("vllm/vllm-openai:latest")


def test_an_index_reads_the_linux_amd64_image() -> None:
    index = {
        "schemaVersion": 2,
        "mediaType": registry.DOCKER_LIST,
        "manifests": [
            {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64"}},
            {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
        ],
    }
    labelled = {"config": {"Labels": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}}}
    transport = Scripted(
        {
            f"{HUB}/manifests/latest": [manifest_answer(index)],
            f"{HUB}/manifests/sha256:amd": [manifest_answer(IMAGE)],
            f"{HUB}/blobs/sha256:c0": [answer(200, labelled)],
        }
    )
    found = transport.client().resolve("vllm/vllm-openai:latest")
    assert found.digest == digest_of(json.dumps(index).encode())
    assert (found.created_at, found.revision) == ("2026-01-01T00:00:00Z", "")
    assert f"{HUB}/manifests/sha256:arm" not in transport.urls()


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(None, id="config blob missing"),
        pytest.param({"created": "0001-01-01T00:00:00Z"}, id="zero creation time"),
        pytest.param({"created": "yesterday"}, id="unreadable creation time"),
    ],
)
def test_metadata_is_best_effort(config: dict[str, Any] | None) -> None:
    routes: dict[str, list[Response | Handler]] = {f"{HUB}/manifests/latest": [manifest_answer(IMAGE)]}
    if config is not None:
        routes[f"{HUB}/blobs/sha256:c0"] = [answer(200, config)]
    found = Scripted(routes).client().resolve("vllm/vllm-openai:latest")
    assert found.digest.startswith("sha256:")
    assert (found.created_at, found.revision) == ("", "")


def test_unknown_tag_reports_the_registry_error() -> None:
    transport = Scripted(
        {
            f"{HUB}/manifests/nope": [
                answer(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
            ]
        }
    )
    with pytest.raises(
        RegistryError, match=rf"^GET {HUB}/manifests/nope: 404 MANIFEST_UNKNOWN: manifest unknown$"
    ):
        transport.client().resolve("vllm/vllm-openai:nope")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
        (TimeoutError("timed out"), "no answer before the timeout"),
        (urllib.error.URLError(OSError(-2, "Name or service not known")), "Name or service not known"),
        (
            http.client.RemoteDisconnected("Remote end closed connection without response"),
            "Remote end closed connection without response",
        ),
        (http.client.IncompleteRead(b""), r"IncompleteRead\(0 bytes read\)"),
    ],
)
def test_transport_failures_name_the_request(error: Exception, reason: str) -> None:
    def fail(request: urllib.request.Request, timeout: float) -> Response:
        raise error

    with pytest.raises(RegistryError, match=rf"^GET {HUB}/manifests/latest: {reason}$"):
        RegistryClient(transport=fail).resolve("vllm/vllm-openai:latest")


def test_the_timeout_bounds_the_whole_lookup() -> None:
    clock = [0.0]
    timeouts: list[float] = []

    def slow(request: urllib.request.Request, timeout: float) -> Response:
        timeouts.append(timeout)
        clock[0] += 31
        return answer(401, www_authenticate=CHALLENGE)

    client = RegistryClient(transport=slow, timeout=30, clock=lambda: clock[0])
    with pytest.raises(RegistryError, match=r"^GET https://auth.docker.io/token\?.*: no answer within 30s$"):
        client.resolve("vllm/vllm-openai:latest")
    assert timeouts == [30]


def test_an_oversized_answer_is_refused() -> None:
    transport = Scripted({f"{HUB}/manifests/latest": [answer(200, b"x" * (registry.MAX_BODY + 1))]})
    with pytest.raises(RegistryError, match="exceeds"):
        transport.client().resolve("vllm/vllm-openai:latest")


# -- credentials ----------------------------------------------------------------------------------


def test_docker_config_entries_and_docker_hub_keys() -> None:
    encoded = base64.b64encode(b"hub-user:hub:pass").decode()
    data = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": encoded},
            "registry.example.com:8443": {"username": "u", "password": "p"},
            "https://ghcr.io/v2/": {"auth": "not base64!"},
            "quay.io": {"identitytoken": "unsupported"},
        }
    }
    found = credentials.parse_docker_config(data)
    assert found == {
        "docker.io": Credentials("hub-user", "hub:pass"),
        "registry.example.com:8443": Credentials("u", "p"),
    }
    assert credentials.parse_docker_config({"docker.io": {"auth": encoded}}) == {
        "docker.io": Credentials("hub-user", "hub:pass")
    }  # the legacy .dockercfg shape
    assert "hub:pass" not in repr(found["docker.io"])


def test_the_credentials_file_is_read_on_every_lookup(tmp_path: Path) -> None:
    path = tmp_path / ".dockerconfigjson"
    source = credentials.from_file(path)
    path.write_text(json.dumps({"auths": {"docker.io": {"username": "a", "password": "1"}}}))
    assert source(registry.DOCKER_HUB) == Credentials("a", "1")
    path.write_text(json.dumps({"auths": {"docker.io": {"username": "a", "password": "2"}}}))
    assert source("registry-1.docker.io") == Credentials("a", "2")
    assert source("other.example.com") is None
    path.write_text("{")
    with pytest.raises(credentials.CredentialsError, match=str(path)):
        source(registry.DOCKER_HUB)


def test_an_unreadable_credentials_file_fails_the_lookup(tmp_path: Path) -> None:
    transport = Scripted({f"{HUB}/manifests/latest": [answer(401, www_authenticate=CHALLENGE)]})
    with pytest.raises(RegistryError, match="cannot read registry credentials from"):
        transport.client(credentials.from_file(tmp_path / "missing")).resolve("vllm/vllm-openai:latest")


# -- lookup: the resolver the pre-step uses ----------------------------------------------------------


def test_adapt_pins_the_repository_as_written_and_words_errors_as_upstream() -> None:
    body = json.dumps(IMAGE).encode()
    transport = Scripted(
        {"https://registry-1.docker.io/v2/library/ubuntu/manifests/22.04": [manifest_answer(IMAGE)]}
    )
    found = lookup.adapt(transport.client())("ubuntu:22.04")
    assert (found.resolved, found.digest) == (f"ubuntu@{digest_of(body)}", digest_of(body))
    with pytest.raises(
        image.ImageResolutionError, match=r'^resolve image reference "ubuntu:20.04": GET .*: 404'
    ):
        lookup.adapt(transport.client())("ubuntu:20.04")


def test_back_off_reports_the_last_failure_until_the_retry_time() -> None:
    clock = [0.0]
    calls: list[str] = []
    outcomes: list[Exception | image.ResolvedImage] = [
        image.ImageResolutionError("down"),
        image.ImageResolutionError("still down"),
        image.ResolvedImage("r@sha256:ab", "sha256:ab"),
    ]

    def resolve(requested: str) -> image.ResolvedImage:
        calls.append(requested)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    backed = lookup.BackOff(resolve, clock=lambda: clock[0])
    for at, expected in [(0.0, "down"), (4.9, "down"), (5.0, "still down"), (14.9, "still down")]:
        clock[0] = at
        with pytest.raises(image.ImageResolutionError, match=f"^{expected}$"):
            backed("r:t")
    assert len(calls) == 2  # the second delay doubled to 10 s
    clock[0] = 15.0
    assert backed("r:t").digest == "sha256:ab"
    assert len(calls) == 3


def test_resolver_for_reuses_one_client_per_registry_setting(tmp_path: Path) -> None:
    first = lookup.resolver_for({lookup.PLAIN_HTTP: "a:5000"})
    assert lookup.resolver_for({lookup.PLAIN_HTTP: "a:5000", image.SETTING: "required"}) is first
    assert lookup.resolver_for({lookup.PLAIN_HTTP: "b:5000"}) is not first
    with pytest.raises(ValueError, match="AIRUNWAY_VLLM_REGISTRY_TIMEOUT_SECONDS is 'soon'"):
        lookup.resolver_for({lookup.TIMEOUT: "soon"})
    broken = lookup.resolver_for({lookup.CA_FILE: str(tmp_path / "missing.pem")})
    with pytest.raises(image.ImageResolutionError, match="cannot load the CA bundle"):
        broken("vllm/vllm-openai:latest")
