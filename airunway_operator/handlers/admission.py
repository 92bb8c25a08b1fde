"""The validating admission webhooks: which URL path reviews what, and how a verdict is answered.

Served by `webhook_server.AdmissionServer` (started in `handlers/webhook.py`) on its own thread, not
through kopf's admission dispatch. A ModelDeployment review reads the InferenceProviderConfig it
names from kopf's watch index (already parsed) and answers at once; only a provider missing from the
index is read from the API server (`reconcile/admission.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from airunway_operator.admission import configuration
from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.context import OperatorContext
from airunway_operator.reconcile import admission
from airunway_operator.validation import providerconfig as providerconfig_rules
from airunway_operator.validation.result import Verdict
from airunway_operator.webhook_server import Answer, Route


def answer(verdict: Verdict, *, denied_code: int = 422) -> Answer:
    """Warnings always; a denial names every problem, with 500 when a check could not be performed."""
    if verdict.allowed:
        return Answer(True, verdict.warnings)
    code = 500 if verdict.has_internal_error else denied_code
    return Answer(False, verdict.warnings, verdict.message(), code)


def routes(ctx: OperatorContext) -> dict[str, Route]:
    """Both webhooks of `admission/configuration.py`, by URL path."""

    def cached(name: str) -> InferenceProviderConfig | None:
        index = ctx.providers.index
        try:
            store = index.get(name) if index is not None else None
            return next(iter(store), None) if store is not None else None
        except RuntimeError:  # the watch changed the store right now (another thread): read it instead
            return None

    def modeldeployment(request: Mapping[str, Any]) -> Answer | Awaitable[Answer]:
        # The server passes only requests with an object, an old object, or both (as kopf did).
        old = request.get("oldObject")
        body: Mapping[str, Any] = (
            request["object"] if request.get("object") is not None else request["oldObject"]
        )
        verdict = admission.review_cached(body, old, cached)
        if verdict is not None:
            return answer(verdict)
        return _looked_up(body, old, ctx, cached)

    def providerconfig(request: Mapping[str, Any]) -> Answer:
        body = request["object"] if request.get("object") is not None else request["oldObject"]
        return answer(providerconfig_rules.validate(body))

    return {
        configuration.MODELDEPLOYMENT_PATH: Route(
            constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL, modeldeployment
        ),
        configuration.PROVIDERCONFIG_PATH: Route(
            constants.GROUP, constants.VERSION, constants.PROVIDERCONFIG_PLURAL, providerconfig
        ),
    }


async def _looked_up(
    body: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    ctx: OperatorContext,
    cached: Callable[[str], InferenceProviderConfig | None],
) -> Answer:
    return answer(await admission.review_modeldeployment(body, old, cached, ctx.api_client))
