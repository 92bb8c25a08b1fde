"""The admission webhook's HTTPS server: certificates, readiness, and loopback registration.

The server (`webhook_server.AdmissionServer`) runs on a thread of its own, outside kopf. The
start-up handler binds its port and starts it, then marks the webhook as serving: the operator
context holds back every write until then. With `--register-webhook` the
ValidatingWebhookConfiguration is created once the server listens (retried with backoff); the
operator context removes it at exit within a few seconds at most.

Certificates (`docs/webhook-certificates.md`): `self-signed` makes a throw-away CA, `mounted` serves
the files of a directory and reloads them when they change, `managed` keeps a Secret
(`reconcile/certs.py`) and hands each renewal to the server. In both cases the renewed certificate
goes into the live TLS context: new handshakes use it at once and the listener never closes, so no
API server request meets a refused connection.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import kopf

from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.context import OperatorContext
from airunway_operator.handlers import admission
from airunway_operator.kube import webhooks
from airunway_operator.kube.client import call
from airunway_operator.reconcile.certs import CertRotator
from airunway_operator.reconcile.workqueue import WorkQueue
from airunway_operator.webhook_cert_settings import CertMode, CertSettings
from airunway_operator.webhook_server import GIL_SWITCH_INTERVAL, AdmissionServer

_log = logging.getLogger("airunway.webhook")


class Registration:
    """Registers the loopback ValidatingWebhookConfiguration through a retried work queue."""

    def __init__(self, ctx: OperatorContext, body: dict[str, Any]) -> None:
        self._ctx = ctx
        self._body = body
        self.queue: WorkQueue[str] = WorkQueue("webhook-registration", self._register, workers=1)
        ctx.webhook_registration = self.queue

    def start(self) -> None:
        self.queue.start()
        self.queue.add(configuration.NAME)

    async def _register(self, _: str) -> None:
        await call(webhooks.register, self._ctx.api_client, self._body)
        url = self._ctx.settings.webhook_url
        _log.info(f"Registered webhook configuration {configuration.NAME} for {url}")


#: The running server of this process, stopped by the clean-up handler.
_servers: list[AdmissionServer] = []


@kopf.on.startup()
async def admission_serve(memo: kopf.Memo, **_: Any) -> None:
    ctx: OperatorContext = memo.context
    ours = ctx.settings
    certs = CertSettings.from_env()
    rotator: CertRotator | None = None
    mounted = False
    if certs.mode is CertMode.MANAGED:
        directory = certs.local_dir or Path(tempfile.mkdtemp(prefix="airunway-webhook-"))
        directory.mkdir(parents=True, exist_ok=True)
        rotator = CertRotator(ctx.api_client, certs, directory)
        files = await rotator.prepare()
        ctx.webhook_certificates = rotator
    elif cert_dir := ours.webhook_cert_dir or certs.cert_dir:
        files = tls.mounted(cert_dir)
        mounted = True
    else:
        files = tls.self_signed([ours.webhook_host, "localhost"])
    server = AdmissionServer(
        ours.webhook_host,
        ours.webhook_port,
        files,
        admission.routes(ctx),
        # A managed certificate is handed over by its rotator; mounted files are watched.
        watch=mounted,
    )
    try:
        await asyncio.to_thread(server.start)
    except OSError as err:
        # Retrying would not free the port; stop with a message naming the setting instead.
        raise kopf.PermanentError(
            f"webhook port {ours.webhook_host}:{ours.webhook_port} is unavailable ({err}); "
            "set AIRUNWAY_WEBHOOK_PORT to a free port"
        ) from err
    _servers.append(server)
    # The server thread must not wait 5 ms for the GIL whenever the operator's loop is busy.
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))
    _log.debug(f"Serving admission webhooks at {ours.webhook_url}")
    if rotator is not None:
        rotator.on_change = server.reload
        rotator.start()
    if ours.webhook_register:
        body = configuration.validating_configuration(
            configuration.url_client_config(ours.webhook_url, files.cafile.read_bytes())
        )
        Registration(ctx, body).start()
    ctx.webhook_serving.set()


@kopf.on.cleanup()
async def admission_stop(memo: kopf.Memo, **_: Any) -> None:
    rotator = memo.context.webhook_certificates
    if rotator is not None:
        await rotator.stop()
    while _servers:
        await asyncio.to_thread(_servers.pop().stop)
