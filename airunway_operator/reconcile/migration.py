"""One pass of the legacy InferenceProviderConfig migration over the API server (SPEC-core §8.1).

Lists every object with a bounded exponential backoff, decides each one with the pure
`airunway_operator.migration`, and writes back with a full replace only what changed. Each write
re-reads the object and is retried on conflict, so a concurrent writer is never overwritten; a
conflict that outlives the retries means someone else keeps writing the object and counts as
done. Problems with single objects are logged and counted, never raised: only a list that cannot
be made (forbidden, or still failing after the backoff) raises `MigrationError`.

An object whose listed body needs no change is not read again, so a cluster with nothing to
migrate costs one list request. Mirrors upstream's controller/internal/controller/migration.go.

No kopf import: the start-up handler decides what a failure means for the operator.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar

from kubernetes import client
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from airunway_operator import migration
from airunway_operator.api import constants
from airunway_operator.kube import errors
from airunway_operator.kube.client import call

logger = logging.getLogger("airunway.migration")
T = TypeVar("T")

LIST_TIMEOUT: Final = 30.0
OBJECT_TIMEOUT: Final = 10.0
#: client-go's retry.DefaultRetry, which upstream's RetryOnConflict uses: 5 tries about 10 ms apart.
CONFLICT_ATTEMPTS: Final = 5
CONFLICT_DELAY: Final = 0.01


class MigrationError(Exception):
    """The objects could not be listed: access is forbidden, or the API server kept failing."""


class Result(StrEnum):
    """What happened to one object; the values name the `Summary` counters."""

    UNCHANGED = "unchanged"
    CLEANED = "cleaned"
    HOISTED = "hoisted"
    MIGRATED = "migrated"
    #: The pure migration reported an error; the object was left alone.
    MALFORMED = "malformed"
    #: Deleted between the list and the write.
    GONE = "gone"
    #: Conflicts outlived the retries: another writer keeps changing it (counted as success).
    CONTENDED = "contended"
    #: The API server refused or failed a read or the write.
    FAILED = "failed"


_WRITTEN: Final = {
    migration.Kind.CLEANED: Result.CLEANED,
    migration.Kind.HOISTED: Result.HOISTED,
    migration.Kind.MIGRATED: Result.MIGRATED,
}


@dataclass(frozen=True)
class Summary:
    """Counts per result for one pass; `crd_absent` when the kind is not served at all."""

    crd_absent: bool = False
    unchanged: int = 0
    cleaned: int = 0
    hoisted: int = 0
    migrated: int = 0
    malformed: int = 0
    gone: int = 0
    contended: int = 0
    failed: int = 0

    @classmethod
    def of(cls, results: Counter[Result]) -> Summary:
        r = results
        return cls(
            unchanged=r[Result.UNCHANGED],
            cleaned=r[Result.CLEANED],
            hoisted=r[Result.HOISTED],
            migrated=r[Result.MIGRATED],
            malformed=r[Result.MALFORMED],
            gone=r[Result.GONE],
            contended=r[Result.CONTENDED],
            failed=r[Result.FAILED],
        )

    def as_log(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Backoff:
    """Upstream's list backoff: 5 tries, pausing about 1, 2, 4 and 8 s (cap 16 s, +10 % jitter)."""

    initial: float = 1.0
    factor: float = 2.0
    jitter: float = 0.1
    attempts: int = 5
    cap: float = 16.0

    def delays(self, rand: Callable[[], float] = random.random) -> list[float]:
        """The pauses between consecutive attempts (one fewer than the attempts)."""
        bases = (min(self.initial * self.factor**step, self.cap) for step in range(self.attempts - 1))
        return [base * (1 + self.jitter * rand()) for base in bases]


class _Store:
    """The three requests the migration makes, against one cluster-scoped custom resource."""

    def __init__(self, api_client: client.ApiClient, group: str, version: str, plural: str) -> None:
        self._api = client.CustomObjectsApi(api_client)
        self._resource = (group, version, plural)
        self.plural = f"{plural}.{group}"

    async def list(self) -> list[Mapping[str, Any]]:
        list_all = self._api.list_cluster_custom_object
        body = await call(list_all, *self._resource, _request_timeout=LIST_TIMEOUT)
        return list(body.get("items") or [])

    async def get(self, name: str) -> Mapping[str, Any]:
        body: Mapping[str, Any] = await call(
            self._api.get_cluster_custom_object, *self._resource, name, _request_timeout=OBJECT_TIMEOUT
        )
        return body

    async def replace(self, name: str, body: Mapping[str, Any]) -> None:
        replace = self._api.replace_cluster_custom_object
        await call(replace, *self._resource, name, body, _request_timeout=OBJECT_TIMEOUT)


def _describe(err: Exception) -> str:
    if isinstance(err, ApiException):
        return f"{err.status} {err.reason}"
    return type(err).__name__


async def _list(store: _Store, backoff: Backoff) -> list[Mapping[str, Any]] | None:
    """Every object, or None when the CRD is not installed; raises MigrationError when it gives up."""
    delays = backoff.delays()
    last: Exception | None = None
    for attempt in range(backoff.attempts):
        try:
            return await store.list()
        except ApiException as err:
            if errors.is_kind_missing(err):
                return None
            if errors.is_forbidden(err):
                raise MigrationError(f"listing {store.plural} is forbidden ({_describe(err)})") from err
            last = err
        except (HTTPError, OSError) as err:
            last = err
        if attempt < len(delays):
            extra = {"attempt": attempt + 1, "error": _describe(last), "delay": round(delays[attempt], 2)}
            logger.info("Retrying InferenceProviderConfig list", extra=extra)
            await asyncio.sleep(delays[attempt])
    reason = _describe(last) if last else "no attempt made"
    raise MigrationError(f"listing {store.plural} failed {backoff.attempts} times ({reason})") from last


async def retry_on_conflict(
    step: Callable[[], Awaitable[T]], attempts: int = CONFLICT_ATTEMPTS, delay: float = CONFLICT_DELAY
) -> T | None:
    """Run `step` until it ends without a Conflict; None when every attempt hit one."""
    for attempt in range(attempts):
        try:
            return await step()
        except ApiException as err:
            if not errors.is_conflict(err):
                raise
        if attempt + 1 < attempts:
            await asyncio.sleep(delay)
    return None


async def _attempt(store: _Store, name: str) -> Result:
    """Read the object fresh, decide, and replace it when the decision changed it."""
    try:
        body = await store.get(name)
    except ApiException as err:
        if errors.is_object_missing(err):
            return Result.GONE
        raise
    outcome = migration.migrate_body(body)
    if outcome.kind is migration.Kind.ERROR:
        extra = {"object": name, "error": outcome.error}
        logger.error("Skipped malformed InferenceProviderConfig", extra=extra)
        return Result.MALFORMED
    if outcome.capabilities is None:
        return Result.UNCHANGED
    try:
        await store.replace(name, migration.with_capabilities(body, outcome.capabilities))
    except ApiException as err:
        if errors.is_object_missing(err):
            return Result.GONE
        raise
    extra = {"object": name, "outcome": outcome.kind.value}
    logger.info("Migrated legacy InferenceProviderConfig", extra=extra)
    return _WRITTEN[outcome.kind]


async def _migrate_one(store: _Store, listed: Mapping[str, Any]) -> Result:
    name = str((listed.get("metadata") or {}).get("name") or "")
    if migration.migrate_body(listed).kind is migration.Kind.UNCHANGED:
        return Result.UNCHANGED
    try:
        result = await retry_on_conflict(lambda: _attempt(store, name))
    except (ApiException, HTTPError, OSError) as err:
        extra = {"object": name, "error": _describe(err)}
        logger.error("Failed to migrate InferenceProviderConfig", extra=extra)
        return Result.FAILED
    if result is None:
        logger.info("Left contended InferenceProviderConfig to its other writer", extra={"object": name})
        return Result.CONTENDED
    return result


async def migrate_provider_configs(
    api_client: client.ApiClient,
    *,
    group: str = constants.GROUP,
    version: str = constants.VERSION,
    plural: str = constants.PROVIDERCONFIG_PLURAL,
    backoff: Backoff = Backoff(),
) -> Summary:
    """Migrate every legacy object of the given cluster-scoped resource once; see the module docs."""
    store = _Store(api_client, group, version, plural)
    items = await _list(store, backoff)
    if items is None:
        logger.info("Skipped InferenceProviderConfig migration: CRD not installed", extra={"group": group})
        return Summary(crd_absent=True)
    results: Counter[Result] = Counter()
    for item in items:
        results[await _migrate_one(store, item)] += 1
    return Summary.of(results)
