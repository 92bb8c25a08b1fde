"""Start-up: migrate legacy InferenceProviderConfigs once, before the watches start (SPEC-core §8.1).

kopf runs every start-up handler before it begins watching, so the provider index is built from
already-migrated objects, as upstream runs its migration before the reconciler.

A list that fails for good (forbidden, or the API server kept failing through the backoff) is
logged as an error and the operator carries on, where upstream stops its manager so the pod
restarts. Stopping would trade one unmigrated legacy object for the loss of every ModelDeployment
reconcile and the admission webhook; a legacy object meanwhile only drops out of the provider
index ("Ignored malformed InferenceProviderConfig"), and the next start tries again. Missing RBAC
for InferenceProviderConfigs already shows up loudly in the watch itself.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from airunway_operator.reconcile import migration

_log = logging.getLogger("airunway.startup")


@kopf.on.startup()
async def providerconfig_migrate(memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    try:
        summary = await migration.migrate_provider_configs(memo.api_client)
    except migration.MigrationError as err:
        _log.error("Skipped legacy InferenceProviderConfig migration", extra={"error": str(err)})
        return
    if not summary.crd_absent:  # the runner already logged the skip
        _log.info("Migrated legacy InferenceProviderConfigs", extra=summary.as_log())
