"""Image resolution against a REAL registry on loopback: the CNCF distribution registry built by
`tests/controlplane/build.sh registry`: one instance over plain HTTP without authentication, one
over TLS with htpasswd (basic) authentication, and one with bearer-token authentication against a
loopback token server (`tests/registry_server.TokenServer`). Images are pushed with plain HTTP
calls (config blob, layer, manifest, index), then resolved by `providers.vllm.registry` and by the
provider's pre-step. Needs no Kubernetes control plane. Under CI=true a missing binary fails.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airunway_operator.sdk import EngineType, ModelDeployment
from providers.base import PreStep, RenderContext
from providers.vllm import PROVIDER, image, lookup, registry
from providers.vllm.credentials import Credentials
from tests.registry_server import REVISION, Registry, TokenServer, free_port, start
from tests.unit.validation.builders import md as md_body

REPOSITORY = "hub/vllm/vllm-openai"
"""Where the mirrored default image lives: mirror prefix `<host>/hub`."""


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = start(tmp_path_factory.mktemp("plain-registry"), secure=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = start(tmp_path_factory.mktemp("secure-registry"), secure=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    server = TokenServer(tmp_path_factory.mktemp("token-server"), Credentials("robot", "s3cret"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bearer(tmp_path_factory: pytest.TempPathFactory, tokens: TokenServer) -> Iterator[Registry]:
    server = start(tmp_path_factory.mktemp("bearer-registry"), secure=False, tokens=tokens)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_lookups() -> Iterator[None]:
    lookup.forget()
    yield
    lookup.forget()


def deployment(**fields: Any) -> ModelDeployment:
    body = md_body("qwen", provider__name="vllm", engine__type="vllm", resources__gpu__count=1, **fields)
    body["metadata"]["uid"] = "0b5c7a52-1f6e-4c1b-9f53-6a4a3d1e2f10"
    return ModelDeployment.parse(body)


def pre_step(md: ModelDeployment, **settings: str) -> PreStep:
    return PROVIDER.pre_step(md, RenderContext(EngineType.VLLM, settings=settings))


def condition(step: PreStep, type_: str) -> tuple[str, str, str]:
    [found] = [c for c in step.conditions if c.type == type_]
    return found.status, found.reason, found.message


def docker_config(folder: Path, host: str, credentials: Credentials) -> Path:
    pair = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    path = folder / ".dockerconfigjson"
    path.write_text(json.dumps({"auths": {f"https://{host}": {"auth": pair}}}))
    return path


# -- the client ------------------------------------------------------------------------------------


def test_a_tag_resolves_to_the_pushed_manifest_digest_with_its_creation_time(plain: Registry) -> None:
    digest, _ = plain.push_image("team/model", "v1")
    client = registry.RegistryClient(plain_http=[plain.host])
    found = client.resolve(f"{plain.host}/team/model:v1")
    assert found == registry.Resolution(digest, "2026-03-07T11:00:00Z", REVISION)


def test_an_index_resolves_to_the_index_digest_with_the_amd64_image_metadata(plain: Registry) -> None:
    index, child = plain.push_index("team/multi", "v2")
    found = registry.RegistryClient(plain_http=[plain.host]).resolve(f"{plain.host}/team/multi:v2")
    assert found.digest == index != child
    assert (found.created_at, found.revision) == ("2026-03-07T11:00:00Z", REVISION)


def test_an_unknown_tag_fails_with_the_registrys_error(plain: Registry) -> None:
    with pytest.raises(
        registry.RegistryError, match=r"/v2/team/none/manifests/v9: 404 NAME_UNKNOWN|MANIFEST_UNKNOWN"
    ):
        registry.RegistryClient(plain_http=[plain.host]).resolve(f"{plain.host}/team/none:v9")


def test_basic_authentication_over_tls_with_the_pull_secrets_credentials(
    secure: Registry, tmp_path: Path
) -> None:
    assert secure.credentials is not None
    digest, _ = secure.push_image("private/model", "v1")
    settings = {
        lookup.AUTH_FILE: str(docker_config(tmp_path, secure.host, secure.credentials)),
        lookup.CA_FILE: str(secure.ca_file),
    }
    found = lookup.resolver_for(settings)(f"{secure.host}/private/model:v1")
    assert found.resolved == f"{secure.host}/private/model@{digest}"
    assert found.digest == digest


def test_wrong_credentials_fail_clearly(secure: Registry, tmp_path: Path) -> None:
    wrong = Credentials("docker", "not-the-password")
    settings = {
        lookup.AUTH_FILE: str(docker_config(tmp_path, secure.host, wrong)),
        lookup.CA_FILE: str(secure.ca_file),
    }
    reference = f"{secure.host}/private/model:v1"
    with pytest.raises(image.ImageResolutionError) as raised:
        lookup.resolver_for(settings)(reference)
    assert str(raised.value) == (
        f'resolve image reference "{reference}": GET https://{secure.host}/v2/private/model/manifests/v1: '
        f"401 UNAUTHORIZED: authentication required; the credentials for {secure.host} were rejected"
    )


def test_the_bearer_token_flow_with_the_pull_secrets_credentials(
    bearer: Registry, tokens: TokenServer, tmp_path: Path
) -> None:
    digest, _ = bearer.push_image("private/model", "v1")
    assert tokens.credentials is not None
    settings = {
        lookup.AUTH_FILE: str(docker_config(tmp_path, bearer.host, tokens.credentials)),
        lookup.PLAIN_HTTP: bearer.host,
    }
    tokens.seen.clear()
    found = lookup.resolver_for(settings)(f"{bearer.host}/private/model:v1")
    assert (found.resolved, found.digest) == (f"{bearer.host}/private/model@{digest}", digest)
    assert (found.created_at, found.revision) == ("2026-03-07T11:00:00Z", REVISION)
    # One token for the manifest, the index-free image and its config blob: fetched once, reused.
    [(query, authorization)] = tokens.seen
    assert query == {
        "scope": ["repository:private/model:pull"],
        "service": [TokenServer.SERVICE],
        "account": ["robot"],
    }
    assert authorization == tokens.credentials.basic()


def test_the_token_endpoint_rejecting_credentials_fails_clearly(
    bearer: Registry, tokens: TokenServer, tmp_path: Path
) -> None:
    settings = {
        lookup.AUTH_FILE: str(docker_config(tmp_path, bearer.host, Credentials("robot", "wrong"))),
        lookup.PLAIN_HTTP: bearer.host,
    }
    reference = f"{bearer.host}/private/model:v1"
    with pytest.raises(image.ImageResolutionError) as raised:
        lookup.resolver_for(settings)(reference)
    assert str(raised.value) == (
        f'resolve image reference "{reference}": token request to {tokens.realm}: '
        "401 Unauthorized (credentials rejected)"
    )


def test_an_anonymous_token_without_access_is_refused_clearly(bearer: Registry) -> None:
    bearer.push_image("private/model", "v1")
    reference = f"{bearer.host}/private/model:v1"
    with pytest.raises(image.ImageResolutionError) as raised:
        lookup.resolver_for({lookup.PLAIN_HTTP: bearer.host})(reference)
    assert str(raised.value).endswith(
        "401 UNAUTHORIZED: authentication required; anonymous access was refused; "
        f"configure credentials for {bearer.host}"
    )


def test_no_credentials_for_a_registry_that_wants_them(secure: Registry) -> None:
    settings = {lookup.CA_FILE: str(secure.ca_file)}
    with pytest.raises(image.ImageResolutionError, match="requires basic authentication and no credentials"):
        lookup.resolver_for(settings)(f"{secure.host}/private/model:v1")


def test_an_untrusted_certificate_fails(secure: Registry) -> None:
    with pytest.raises(image.ImageResolutionError, match="CERTIFICATE_VERIFY_FAILED"):
        lookup.resolver_for({})(f"{secure.host}/private/model:v1")


# -- the provider's pre-step (D25) -------------------------------------------------------------------


def test_the_mirror_prefix_rewrites_the_default_image_and_pins_it(plain: Registry) -> None:
    digest, _ = plain.push_image(REPOSITORY, image.VERSION)
    mirror = f"{plain.host}/hub"
    step = pre_step(deployment(), **{image.MIRROR_SETTING: mirror, lookup.PLAIN_HTTP: plain.host})
    pinned = f"{mirror}/vllm/vllm-openai@{digest}"
    assert step.failure is None
    assert step.context.image == pinned
    assert condition(step, "ImageResolved") == (
        "True",
        "ImageResolved",
        f'Resolved Direct vLLM image "{mirror}/{image.DEFAULT_IMAGE}" to "{pinned}" from nightly selection.',
    )
    assert condition(step, "UnsupportedImage")[1] == "SupportedImage"
    recorded = step.status["image"]
    assert (recorded["requested"], recorded["digest"], recorded["source"]) == (
        f"{mirror}/{image.DEFAULT_IMAGE}",
        digest,
        "nightly",
    )
    assert (recorded["createdAt"], recorded["revision"]) == ("2026-03-07T11:00:00Z", REVISION)
    [container] = PROVIDER.render(deployment(), step.context)[0]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == pinned


def closed_port_settings(mode: str) -> tuple[str, dict[str, str]]:
    host = f"127.0.0.1:{free_port()}"  # nothing listens there
    mirror = f"{host}/hub"
    return f"{mirror}/{image.DEFAULT_IMAGE}", {
        image.SETTING: mode,
        image.MIRROR_SETTING: mirror,
        lookup.PLAIN_HTTP: host,
    }


def test_best_effort_deploys_the_tag_as_written_when_the_registry_is_unreachable() -> None:
    requested, settings = closed_port_settings("best-effort")
    step = pre_step(deployment(), **settings)
    assert step.failure is None
    assert step.context.image == requested
    status, reason, message = condition(step, "ImageResolved")
    assert (status, reason) == ("False", "ImageResolutionFailed")
    assert message.startswith(f'Failed to resolve Direct vLLM image "{requested}" from nightly selection: ')
    assert "Connection refused" in message
    assert message.endswith(
        "Continuing with the default tag as written; resolution is retried on the next pass."
    )
    assert step.status["image"]["resolved"] is None


def test_required_fails_with_upstreams_message_when_the_registry_is_unreachable() -> None:
    requested, settings = closed_port_settings("required")
    step = pre_step(deployment(), **settings)
    host = requested.split("/")[0]
    assert step.failure == (
        f'failed to resolve default vLLM image "{requested}": resolve image reference "{requested}": '
        f"GET http://{host}/v2/hub/vllm/vllm-openai/manifests/{image.VERSION}: Connection refused"
    )
    assert condition(step, "ImageResolved")[:2] == ("False", "ImageResolutionFailed")


def test_off_never_contacts_the_registry(plain: Registry) -> None:
    plain.push_image(REPOSITORY, image.VERSION)
    mirror = f"{plain.host}/hub"
    step = pre_step(
        deployment(), **{image.SETTING: "off", image.MIRROR_SETTING: mirror, lookup.PLAIN_HTTP: plain.host}
    )
    assert step.context.image == f"{mirror}/{image.DEFAULT_IMAGE}"
    assert condition(step, "ImageResolved")[:2] == ("False", "ResolutionDisabled")
