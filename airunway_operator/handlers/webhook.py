"""The admission webhook's HTTPS server: certificates, readiness, and loopback registration.

kopf starts its webhook server only after every start-up handler has finished; the server here
reports when it listens, and the operator context holds back every write until then. With
`--register-webhook` the ValidatingWebhookConfiguration is created once the server listens
(retried with backoff); the operator context removes it at exit within a few seconds at most.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import kopf

from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.context import OperatorContext
from airunway_operator.kube import webhooks
from airunway_operator.kube.client import call
from airunway_operator.reconcile.workqueue import WorkQueue

_log = logging.getLogger("airunway.webhook")


class ReportingServer:
    """kopf's WebhookServer that sets an event once it listens and registers itself if asked."""

    def __init__(
        self, server: kopf.WebhookServer, ctx: OperatorContext, registration: dict[str, Any] | None
    ) -> None:
        self._server = server
        self._ctx = ctx
        self._registration = registration
        self.queue: WorkQueue[str] = WorkQueue("webhook-registration", self._register, workers=1)
        ctx.webhook_registration = self.queue

    async def __call__(self, fn: Any) -> AsyncIterator[Any]:
        async for client_config in self._server(fn):
            if self._registration is not None:
                self.queue.start()
                self.queue.add(configuration.NAME)
            self._ctx.webhook_serving.set()
            yield client_config

    async def _register(self, _: str) -> None:
        assert self._registration is not None
        await call(webhooks.register, self._ctx.api_client, self._registration)
        url = self._ctx.settings.webhook_url
        _log.info(f"Registered webhook configuration {configuration.NAME} for {url}")


@kopf.on.startup()
async def admission_serve(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    ours = ctx.settings
    files = (
        tls.mounted(ours.webhook_cert_dir)
        if ours.webhook_cert_dir
        else tls.self_signed([ours.webhook_host, "localhost"])
    )
    server = kopf.WebhookServer(
        addr=ours.webhook_host,
        port=ours.webhook_port,
        host=ours.webhook_host,
        certfile=files.certfile,
        pkeyfile=files.keyfile,
        cafile=files.cafile,
    )
    registration = None
    if ours.webhook_register:
        registration = configuration.validating_configuration(
            configuration.url_client_config(ours.webhook_url, files.cafile.read_bytes())
        )
    settings.admission.server = ReportingServer(server, ctx, registration)
