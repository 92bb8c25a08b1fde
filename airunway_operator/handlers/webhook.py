"""The admission webhook's HTTPS server: certificates, readiness, and loopback registration.

kopf starts its webhook server only after every start-up handler has finished; the server here
reports when it listens, and the operator context holds back every write until then. With
`--register-webhook` the ValidatingWebhookConfiguration is created once the server listens
(retried with backoff); the operator context removes it at exit within a few seconds at most.

Certificates (`docs/webhook-certificates.md`): `self-signed` makes a throw-away CA, `mounted` serves
the files of a directory and kopf restarts the listener when they change, `managed` keeps a Secret
(`reconcile/certs.py`) and swaps a renewed certificate into the live TLS context: new handshakes use
it at once and the listener never closes, so no API server request meets a refused connection.
"""

from __future__ import annotations

import logging
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import kopf

from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.context import OperatorContext
from airunway_operator.kube import webhooks
from airunway_operator.kube.client import call
from airunway_operator.reconcile.certs import CertRotator
from airunway_operator.reconcile.workqueue import WorkQueue
from airunway_operator.webhook_cert_settings import CertMode, CertSettings

_log = logging.getLogger("airunway.webhook")


class ReportingServer:
    """kopf's WebhookServer that sets an event once it listens and registers itself if asked."""

    def __init__(
        self,
        server: kopf.WebhookServer,
        ctx: OperatorContext,
        registration: dict[str, Any] | None,
        rotator: CertRotator | None = None,
    ) -> None:
        self._server = server
        self._ctx = ctx
        self._registration = registration
        self._rotator = rotator
        self.queue: WorkQueue[str] = WorkQueue("webhook-registration", self._register, workers=1)
        ctx.webhook_registration = self.queue

    async def __call__(self, fn: Any) -> AsyncIterator[Any]:
        async for client_config in self._server(fn):
            if self._registration is not None:
                self.queue.start()
                self.queue.add(configuration.NAME)
            if self._rotator is not None:
                self._rotator.start()
            self._ctx.webhook_serving.set()
            yield client_config

    async def _register(self, _: str) -> None:
        assert self._registration is not None
        await call(webhooks.register, self._ctx.api_client, self._registration)
        url = self._ctx.settings.webhook_url
        _log.info(f"Registered webhook configuration {configuration.NAME} for {url}")


#: kopf's own file watch restarts the listener; a managed certificate is reloaded in place instead.
_NO_FILE_WATCH: Final = 10 * 365 * 24 * 3600.0
_KOPF_FILE_CHECK_SECONDS: Final = 60.0


@kopf.on.startup()
async def admission_serve(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    ours = ctx.settings
    certs = CertSettings.from_env()
    context = ssl.create_default_context(purpose=ssl.Purpose.CLIENT_AUTH)
    rotator: CertRotator | None = None
    if certs.mode is CertMode.MANAGED:
        directory = certs.local_dir or Path(tempfile.mkdtemp(prefix="airunway-webhook-"))
        directory.mkdir(parents=True, exist_ok=True)
        rotator = CertRotator(ctx.api_client, certs, directory)
        files = await rotator.prepare()
        rotator.on_change = lambda renewed: context.load_cert_chain(renewed.certfile, renewed.keyfile)
        ctx.webhook_certificates = rotator
    elif cert_dir := ours.webhook_cert_dir or certs.cert_dir:
        files = tls.mounted(cert_dir)
    else:
        files = tls.self_signed([ours.webhook_host, "localhost"])
    server = kopf.WebhookServer(
        addr=ours.webhook_host,
        port=ours.webhook_port,
        host=ours.webhook_host,
        context=context,
        certfile=files.certfile,
        pkeyfile=files.keyfile,
        cafile=files.cafile,
        file_check_interval=_NO_FILE_WATCH if rotator is not None else _KOPF_FILE_CHECK_SECONDS,
    )
    registration = None
    if ours.webhook_register:
        registration = configuration.validating_configuration(
            configuration.url_client_config(ours.webhook_url, files.cafile.read_bytes())
        )
    settings.admission.server = ReportingServer(server, ctx, registration, rotator)


@kopf.on.cleanup()
async def stop_certificate_rotation(memo: kopf.Memo, **_: Any) -> None:
    rotator = memo.context.webhook_certificates
    if rotator is not None:
        await rotator.stop()
