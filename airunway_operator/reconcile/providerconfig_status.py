"""Report on each InferenceProviderConfig whether its selection rules can match (`SelectionRulesValid`).

Upstream admits any CEL text and silently skips a rule that cannot compile; we admit it too (with an
admission warning) and say so on the object, so a typo is visible where the rule lives. Runs in the
core. Work is keyed by the object's name and read from the latest watched body; the write is a
merge patch guarded by resourceVersion, because a merge patch replaces the whole condition list
and the provider writes its own conditions to the same list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.kube import errors, providerconfigs
from airunway_operator.reconcile.workqueue import WorkQueue
from airunway_operator.validation.providerconfig import selection_rules_conditions


class RulesStatusWriter:
    def __init__(self, api_client: client.ApiClient) -> None:
        self._api = api_client
        self._latest: dict[str, Mapping[str, Any]] = {}
        self.queue: WorkQueue[str] = WorkQueue("providerconfig-status", self._process, workers=2)

    def changed(self, name: str, body: Mapping[str, Any] | None) -> None:
        if body is None:
            self._latest.pop(name, None)
            self.queue.forget(name)
            return
        self._latest[name] = body
        self.queue.add(name)

    async def _process(self, name: str) -> None:
        body = self._latest.get(name)
        if body is None:
            return
        existing = (body.get("status") or {}).get("conditions") or []
        desired = selection_rules_conditions(body, existing, now=datetime.now(UTC))
        if desired == existing:
            return
        version = (body.get("metadata") or {}).get("resourceVersion")
        patch = {"metadata": {"resourceVersion": version}, "status": {"conditions": desired}}
        try:
            updated = await providerconfigs.patch_status(self._api, name, patch)
        except ApiException as err:
            if errors.is_object_missing(err):
                return
            if errors.is_conflict(err):
                self.queue.add_after(name, 0.2)  # the newer body arrives through the watch
                return
            raise
        if self._latest.get(name) is body:
            self._latest[name] = updated
