"""The validating admission webhook for ModelDeployments, served by kopf over TLS."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from airunway_operator import tls
from airunway_operator.admission import configuration
from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.kube import webhooks
from airunway_operator.kube.client import call
from airunway_operator.reconcile import admission
from airunway_operator.settings import Settings
from airunway_operator.validation import providerconfig as providerconfig_rules

_log = logging.getLogger("airunway.startup")

WEBHOOK_ID = configuration.MODELDEPLOYMENT_PATH.lstrip("/")


@kopf.on.startup()
async def admission_serve(
    settings: kopf.OperatorSettings, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    ours: Settings = memo.settings
    files = (
        tls.mounted(ours.webhook_cert_dir)
        if ours.webhook_cert_dir
        else tls.self_signed([ours.webhook_host, "localhost"])
    )
    settings.admission.server = kopf.WebhookServer(
        addr=ours.webhook_host,
        port=ours.webhook_port,
        host=ours.webhook_host,
        certfile=files.certfile,
        pkeyfile=files.keyfile,
        cafile=files.cafile,
    )
    if ours.webhook_register:
        config = configuration.validating_configuration(
            configuration.url_client_config(ours.webhook_url, files.cafile.read_bytes())
        )
        await call(webhooks.register, memo.api_client, config)
        _log.info("Registered webhook configuration", extra={"url": ours.webhook_url})


@kopf.on.cleanup()
async def admission_deregister(memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    if memo.settings.webhook_register:
        await call(webhooks.deregister, memo.api_client, configuration.NAME)
        _log.info("Removed webhook configuration")


@kopf.on.validate(
    constants.GROUP,
    constants.VERSION,
    constants.MODELDEPLOYMENT_PLURAL,
    id=WEBHOOK_ID,
    operations=["CREATE", "UPDATE"],
)
async def modeldeployment_validate(
    body: kopf.Body,
    warnings: list[str],
    memo: kopf.Memo,
    old: kopf.Body | None = None,
    providerconfig_index: kopf.Index[str, InferenceProviderConfig] | None = None,
    **_: Any,
) -> None:
    def cached(name: str) -> InferenceProviderConfig | None:
        store = providerconfig_index.get(name) if providerconfig_index is not None else None
        return next(iter(store), None) if store is not None else None

    verdict = await admission.review_modeldeployment(body, old, cached, memo.api_client)
    warnings.extend(verdict.warnings)
    if not verdict.allowed:
        raise kopf.AdmissionError(verdict.message(), code=500 if verdict.has_internal_error else 422)


@kopf.on.validate(
    constants.GROUP,
    constants.VERSION,
    constants.PROVIDERCONFIG_PLURAL,
    id=configuration.PROVIDERCONFIG_PATH.lstrip("/"),
    operations=["CREATE", "UPDATE"],
)
async def providerconfig_validate(body: kopf.Body, warnings: list[str], **_: Any) -> None:
    verdict = providerconfig_rules.validate(body)
    warnings.extend(verdict.warnings)
    if not verdict.allowed:
        raise kopf.AdmissionError(verdict.message(), code=422)
