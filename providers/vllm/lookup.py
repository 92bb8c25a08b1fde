"""The registry lookup the vLLM image pre-step uses, built from the provider's settings.

`resolver_for(settings)` is `image.Resolver` backed by a `registry.RegistryClient`: one client
per distinct registry setting (so bearer tokens are reused across passes), and a back-off per
requested image after a failure (5 s doubling to 5 min), so that the passes a busy ModelDeployment
triggers meanwhile report the last error without contacting the registry again. A success
forgets the back-off; `status.image` then carries the digest and later passes reuse it
(`ImageResolutionReused`) without any lookup.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from providers.common import go_quote
from providers.vllm import credentials, image, registry

AUTH_FILE: Final = "AIRUNWAY_VLLM_REGISTRY_AUTH_FILE"
CA_FILE: Final = "AIRUNWAY_VLLM_REGISTRY_CA_FILE"
PLAIN_HTTP: Final = "AIRUNWAY_VLLM_REGISTRY_PLAIN_HTTP"
TIMEOUT: Final = "AIRUNWAY_VLLM_REGISTRY_TIMEOUT_SECONDS"
SETTINGS: Final = {
    AUTH_FILE: "Docker config JSON with registry credentials (the `.dockerconfigjson` of a mounted "
    "kubernetes.io/dockerconfigjson Secret), read on every lookup",
    CA_FILE: "PEM bundle trusted for registries instead of the system's CAs",
    PLAIN_HTTP: "comma-separated registry hosts (host[:port]) reached over plain HTTP",
    TIMEOUT: f"bound on one image lookup in seconds (default {registry.TIMEOUT_SECONDS:g})",
}
FIRST_RETRY: Final = 5.0
LAST_RETRY: Final = 300.0


class BackOff:
    """A resolver that, after a failure for an image, re-raises it until the retry time comes."""

    def __init__(self, resolve: image.Resolver, clock: Callable[[], float] = time.monotonic) -> None:
        self._resolve = resolve
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[str, float, float]] = {}
        """requested → (error, retry at, delay used)."""

    def __call__(self, requested: str) -> image.ResolvedImage:
        with self._lock:
            failed = self._failures.get(requested)
        if failed is not None and self._clock() < failed[1]:
            raise image.ImageResolutionError(failed[0])
        try:
            found = self._resolve(requested)
        except image.ImageResolutionError as err:
            delay = FIRST_RETRY if failed is None else min(failed[2] * 2, LAST_RETRY)
            with self._lock:
                self._failures[requested] = (str(err), self._clock() + delay, delay)
            raise
        with self._lock:
            self._failures.pop(requested, None)
        return found


def adapt(client: registry.RegistryClient) -> image.Resolver:
    """`client` as an `image.Resolver`: `resolved` is `<repository as written>@<digest>`, and
    errors read as upstream's (`resolve image reference "<ref>": …`)."""

    def resolve(requested: str) -> image.ResolvedImage:
        try:
            found = client.resolve(requested)
        except registry.RegistryError as err:
            raise image.ImageResolutionError(f"resolve image reference {go_quote(requested)}: {err}") from err
        repository = image.parse_reference(requested).repository
        return image.ResolvedImage(
            f"{repository}@{found.digest}", found.digest, found.created_at, found.revision
        )

    return resolve


def resolver_for(settings: Mapping[str, str]) -> image.Resolver:
    """The resolver for these settings (the same object while the registry settings stay equal)."""
    return _cached(
        settings.get(AUTH_FILE, "").strip(),
        settings.get(CA_FILE, "").strip(),
        settings.get(PLAIN_HTTP, "").strip(),
        settings.get(TIMEOUT, "").strip(),
    )


def forget() -> None:
    """Drop every cached client and back-off (tests)."""
    _cached.cache_clear()


@functools.lru_cache(maxsize=8)
def _cached(auth_file: str, ca_file: str, plain_http: str, timeout: str) -> image.Resolver:
    seconds = _timeout(timeout)
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as err:
        return _failing(f"cannot load the CA bundle {ca_file} ({CA_FILE}): {err}")
    client = registry.RegistryClient(
        credentials.from_file(Path(auth_file)) if auth_file else credentials.anonymous,
        timeout=seconds,
        plain_http=[host.strip() for host in plain_http.split(",")],
        transport=registry.urllib_transport(context),
    )
    return BackOff(adapt(client))


def _failing(message: str) -> image.Resolver:
    def resolve(requested: str) -> image.ResolvedImage:
        raise image.ImageResolutionError(message)

    return resolve


def _timeout(text: str) -> float:
    if not text:
        return registry.TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise ValueError(f"setting {TIMEOUT} is {text!r}; give a positive number of seconds")
    return seconds
