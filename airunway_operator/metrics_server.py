"""Secure metrics: /metrics over HTTPS for callers the API server authenticates and authorizes.

As controller-runtime's secure metrics filter: the caller's bearer token goes through a TokenReview
(authentication.k8s.io/v1); the user it names through a SubjectAccessReview (authorization.k8s.io/v1)
for the non-resource URL `/metrics` and verb `get`. No token or an unknown one answers 401, a
known user without the permission 403. Decisions are kept for `CACHE_SECONDS`, so a Prometheus
scraping every few seconds costs two reviews per token per interval, not per scrape. The operator
needs RBAC to create tokenreviews and subjectaccessreviews.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import prometheus_client
from aiohttp import web
from kubernetes import client

from airunway_operator import logs, tls
from airunway_operator.kube.client import call

_log = logging.getLogger("airunway.metrics")

PATH: Final = "/metrics"
CACHE_SECONDS: Final = 10.0
_REVIEW_TIMEOUT: Final = (2.0, 5.0)


@dataclass(frozen=True)
class Decision:
    status: int  # 200, 401 or 403
    reason: str


def review_token(api_client: client.ApiClient, token: str) -> dict[str, Any] | None:
    """The authenticated user of `token` (username, uid, groups, extra), or None."""
    review = client.AuthenticationV1Api(api_client).create_token_review(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}},
        _request_timeout=_REVIEW_TIMEOUT,
    )
    status = review.status
    if status is None or not status.authenticated or status.user is None:
        return None
    user: dict[str, Any] = api_client.sanitize_for_serialization(status.user)
    return user


def may_get_metrics(api_client: client.ApiClient, user: dict[str, Any]) -> bool:
    """True when `user` may `get` the non-resource URL /metrics."""
    spec: dict[str, Any] = {
        "user": user.get("username", ""),
        "uid": user.get("uid", ""),
        "groups": user.get("groups") or [],
        "nonResourceAttributes": {"path": PATH, "verb": "get"},
    }
    if user.get("extra"):
        spec["extra"] = user["extra"]
    review = client.AuthorizationV1Api(api_client).create_subject_access_review(
        {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec},
        _request_timeout=_REVIEW_TIMEOUT,
    )
    return bool(review.status is not None and review.status.allowed)


class Authorizer:
    """Decides per bearer token, remembering each decision for `ttl` seconds."""

    def __init__(
        self,
        api_client: client.ApiClient,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_client = api_client
        self._ttl = ttl
        self._clock = clock
        self._decisions: dict[str, tuple[float, Decision]] = {}

    async def decide(self, token: str) -> Decision:
        digest = hashlib.sha256(token.encode()).hexdigest()  # never keep tokens themselves
        now = self._clock()
        cached = self._decisions.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        decision = await self._review(token)
        self._decisions = {k: v for k, v in self._decisions.items() if v[0] > now}
        self._decisions[digest] = (now + self._ttl, decision)
        return decision

    async def _review(self, token: str) -> Decision:
        user = await call(review_token, self._api_client, token)
        if user is None:
            return Decision(401, "Unauthorized")
        if not await call(may_get_metrics, self._api_client, user):
            return Decision(403, f"Forbidden: {user.get('username', '')} may not get {PATH}")
        return Decision(200, "OK")


def bearer_token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def server_ssl_context(cert_dir: Path | None, host: str) -> ssl.SSLContext:
    """TLS from `cert_dir` (tls.crt, tls.key), else a throw-away self-signed certificate for `host`."""
    files = tls.mounted(cert_dir) if cert_dir else tls.self_signed([host, "localhost"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(files.certfile), str(files.keyfile))
    return context


class SecureMetricsServer:
    """An aiohttp HTTPS server exposing one Prometheus registry at /metrics behind the Authorizer."""

    def __init__(
        self,
        registry: prometheus_client.CollectorRegistry,
        authorizer: Authorizer,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self._registry = registry
        self._authorizer = authorizer
        self._host = host
        self._port = port
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None

    async def _metrics(self, request: web.Request) -> web.Response:
        token = bearer_token(request)
        if not token:
            return web.Response(status=401, text="Unauthorized\n")
        try:
            decision = await self._authorizer.decide(token)
        except Exception as err:  # the API server failed to answer: say so, decide nothing
            _log.warning(f"Metrics request not authorized: review failed ({logs.describe(err)})")
            return web.Response(status=503, text="authorization unavailable\n")
        if decision.status != 200:
            return web.Response(status=decision.status, text=decision.reason + "\n")
        body = prometheus_client.generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": prometheus_client.CONTENT_TYPE_LATEST})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(PATH, self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port, ssl_context=self._ssl).start()
        _log.info(f"Serving secure metrics on https://{self._host}:{self._port}{PATH}")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
