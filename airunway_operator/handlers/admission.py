"""The validating admission webhook for ModelDeployments, served by kopf over TLS."""

from __future__ import annotations

from typing import Any

import kopf

from airunway_operator.admission import configuration
from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.reconcile import admission
from airunway_operator.validation import providerconfig as providerconfig_rules

WEBHOOK_ID = configuration.MODELDEPLOYMENT_PATH.lstrip("/")


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

    verdict = await admission.review_modeldeployment(body, old, cached, memo.context.api_client)
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
