"""Keep the operator-managed webhook certificate: the Secret, the local files, the caBundle.

One pass (a work-queue item, so a failure is retried with backoff) reads the Secret, takes each
step `certs_policy.decide` asks for (writing with the resourceVersion read: on 409 another replica
won, so the pass re-reads and decides again), writes the Secret's certificate to the directory the
webhook server serves from, reloads the server when it changed, and patches the caBundle of the
ValidatingWebhookConfiguration where it differs. The pass then schedules itself for the moment the
next step falls due — one wake-up, no polling. Every replica wakes at the same moment (they read the
same Secret), so replicas that lost the write adopt the winner's certificate right away.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import certs_policy, tls
from airunway_operator.kube import certs as kube_certs
from airunway_operator.kube import errors
from airunway_operator.kube.client import call
from airunway_operator.reconcile.workqueue import RetryError, WorkQueue
from airunway_operator.webhook_cert_settings import CertSettings

_log = logging.getLogger("airunway.webhook.certs")

KEY: Final = "webhook-certificate"
#: Writes lost to other replicas in one pass before the pass fails (and is retried with backoff).
_MAX_CONFLICTS: Final = 5
#: Wake up this much after a step falls due, so the pass never runs a hair too early.
_CUSHION_SECONDS: Final = 0.5


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class CertRotator:
    """Owns the managed certificate of this replica's webhook server."""

    def __init__(
        self,
        api_client: client.ApiClient,
        settings: CertSettings,
        directory: Path,
        on_change: Callable[[tls.ServingFiles], None] | None = None,
    ) -> None:
        self._api = api_client
        self._settings = settings
        self.files = tls.ServingFiles(directory / "tls.crt", directory / "tls.key", directory / "ca.crt")
        self.on_change = on_change
        self.hosts = certs_policy.service_hosts(settings.service, settings.namespace, settings.extra_hosts)
        self._lifetimes = certs_policy.Lifetimes(
            settings.cert_validity, settings.ca_validity, settings.ca_grace
        )
        self._served: dict[str, bytes] = {}
        self.queue: WorkQueue[str] = WorkQueue("webhook-certificate", self._process, workers=1)

    async def prepare(self) -> tls.ServingFiles:
        """Make sure the Secret exists and is current and its files are written; before serving."""
        await self._pass()
        return self.files

    def start(self) -> None:
        """Run the passes from now on (the first one at once: the caBundle may have changed meanwhile)."""
        self.queue.start()
        self.queue.add(KEY)

    async def stop(self) -> None:
        await self.queue.stop()

    async def _process(self, _: str) -> None:
        due = await self._pass()
        delay = max((due - _now()).total_seconds(), 0.0) + _CUSHION_SECONDS
        self.queue.add_after(KEY, delay)
        _log.debug(f"Next webhook certificate check in {delay:.1f}s")

    async def _pass(self) -> datetime.datetime:
        stored, plan = await self._converge()
        self._write_files(stored.data)
        patched = await call(
            kube_certs.sync_ca_bundle, self._api, self._settings.configuration_name, stored.data["ca.crt"]
        )
        if patched:
            _log.info(f"Set the caBundle of {', '.join(patched)} in {self._settings.configuration_name}")
        return plan.due

    async def _converge(self) -> tuple[kube_certs.StoredSecret, certs_policy.Plan]:
        ns, name = self._settings.namespace, self._settings.secret
        stored = await call(kube_certs.read_secret, self._api, ns, name)
        for _ in range(_MAX_CONFLICTS):
            material = certs_policy.from_data(stored.data) if stored else None
            now = _now()
            plan = certs_policy.decide(material, now, self.hosts, self._lifetimes)
            if plan.action is certs_policy.Action.NONE:
                assert stored is not None
                return stored, plan
            # Key generation takes a moment of CPU: keep it off the loop the webhook server runs on.
            updated = await asyncio.to_thread(
                certs_policy.apply, plan.action, material, now, self.hosts, self._lifetimes
            )
            data = certs_policy.to_data(updated)
            try:
                if stored is None:
                    stored = await call(kube_certs.create_secret, self._api, ns, name, data)
                else:
                    stored = await call(
                        kube_certs.replace_secret, self._api, ns, name, data, stored.resource_version
                    )
            except ApiException as err:
                if not errors.is_conflict(err):
                    raise
                _log.debug(f"Secret {ns}/{name} was written by another replica; reading it again")
                stored = await call(kube_certs.read_secret, self._api, ns, name)
                continue
            _log.info(f"Webhook certificate Secret {ns}/{name}: {plan.action.value}")
        raise RetryError(f"Secret {ns}/{name} kept changing under this replica's writes")

    def _write_files(self, data: Mapping[str, bytes]) -> None:
        wanted = {
            self.files.certfile.name: data["tls.crt"],
            self.files.keyfile.name: data["tls.key"],
            self.files.cafile.name: data["ca.crt"],
        }
        if wanted == self._served:
            return
        for filename, content in wanted.items():
            _write_atomically(self.files.certfile.parent / filename, content)
        self._served = wanted
        if self.on_change is not None:
            self.on_change(self.files)
        _log.info(f"Serving the certificate of Secret {self._settings.namespace}/{self._settings.secret}")


def _write_atomically(path: Path, content: bytes) -> None:
    """Replace `path` at once, readable by the owner only (the key shares this path)."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)
