"""Carry out the storage pipeline's decisions (`airunway_operator.storage`) against the cluster.

Before a storage-mounting provider renders, `prepare` reads the claims of the ModelDeployment's
volumes (a GET each), lets the pure planner decide, creates and deletes what it says, and does the
same for the model-download Job; `clean_up` deletes the Jobs and then the claims a deleted
ModelDeployment owns (pre-existing claims are never ours, so they stay). An API failure becomes
the step's Failed condition plus a retry reason; the runtime's work queue backs off.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from kubernetes import client
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.kube import errors, objects
from airunway_operator.storage import claims, download, verdict
from airunway_operator.storage.verdict import CLAIM, JOB, Result, Verdict
from providers.base import ConditionUpdate, Manifest, TargetKind

logger = logging.getLogger("airunway.storage")
FIELD_MANAGER = "airunway-storage"


class _CallFailedError(Exception):
    """An API call of the pipeline failed; the message is the API server's reason."""


async def prepare(api: client.ApiClient, md: ModelDeployment, image: str) -> Result:
    """Run both phases; stop at the first that is not done (SPEC-core §5.1)."""
    conditions: list[ConditionUpdate] = []
    if claims.volumes(md):
        decided, retry = await _claims(api, md)
        conditions.append(decided.condition)
        if decided.stop is not None:
            return Result(tuple(conditions), decided.stop, retry)
    if download.is_needed(md):
        decided, retry = await _download(api, md, image)
        conditions.append(decided.condition)
        if decided.stop is not None:
            return Result(tuple(conditions), decided.stop, retry)
    return Result(tuple(conditions))


async def clean_up(api: client.ApiClient, md: ModelDeployment) -> None:
    """Delete the Jobs (pods in the background), then the claims, labelled for `md` and owned by
    its uid. Raises ApiException when a list or delete fails (the caller retries)."""
    namespace, name = md.metadata.namespace or "", md.metadata.name or ""
    for kind in (JOB, CLAIM):
        listed = await objects.list_items(
            api, kind.api_version, kind.plural, namespace, verdict.selector(name)
        )
        for target in verdict.clean_up_names(listed, md.metadata.uid):
            try:
                await objects.delete(api, kind.api_version, kind.plural, namespace, target, "Background")
            except ApiException as err:
                if not errors.is_not_found(err):
                    raise
                continue
            logger.info(f"Deleted {kind.kind} {namespace}/{target} of ModelDeployment {name}")


async def _claims(api: client.ApiClient, md: ModelDeployment) -> tuple[Verdict, str | None]:
    live: dict[str, Manifest | None] = {}
    for name in claims.claim_names(md):
        try:
            live[name] = await _read(api, CLAIM, md, name)
        except _CallFailedError as err:
            return claims.failed(f"failed to get PVC {name}: {err}"), str(err)
    decided = claims.plan(md, live)
    assert decided is not None  # volumes exist
    return await _carry_out(api, md, decided, "PVC", claims.failed)


async def _download(api: client.ApiClient, md: ModelDeployment, image: str) -> tuple[Verdict, str | None]:
    name = download.job_name(md)
    try:
        live = await _read(api, JOB, md, name)
    except _CallFailedError as err:
        return download.failed(f"failed to get download Job {name}: {err}"), str(err)
    decided = download.plan(md, live, image)
    assert decided is not None  # a download is needed
    return await _carry_out(api, md, decided, "download Job", download.failed)


async def _carry_out(
    api: client.ApiClient, md: ModelDeployment, decided: Verdict, noun: str, failed: Callable[[str], Verdict]
) -> tuple[Verdict, str | None]:
    """Make the verdict's writes; the first failing one turns the verdict into `failed`."""
    namespace, owner = md.metadata.namespace or "", md.metadata.name or ""
    for manifest in decided.create:
        kind, name = _kind(manifest), manifest["metadata"]["name"]
        create = objects.create(api, kind.api_version, kind.plural, namespace, manifest, FIELD_MANAGER)
        try:
            # AlreadyExists: a concurrent pass created it, as good as ours.
            if await _write(create, tolerated=409):
                logger.info(f"Created {kind.kind} {namespace}/{name} for ModelDeployment {owner}")
        except _CallFailedError as err:
            return failed(f"failed to create {noun} {name}: {err}"), str(err)
    for removal in decided.remove:
        kind, name = removal.kind, removal.name
        delete = objects.delete(api, kind.api_version, kind.plural, namespace, name, removal.propagation)
        try:
            if await _write(delete, tolerated=404):
                logger.info(
                    f"Deleting stale {kind.kind} {namespace}/{name} in the way of ModelDeployment {owner}"
                )
        except _CallFailedError as err:
            return failed(f"failed to delete stale {noun} {name}: {err}"), str(err)
    return decided, None


async def _write(call: Awaitable[Manifest], *, tolerated: int) -> bool:
    """Await a create or delete: True when it took effect, False when the API answered the
    `tolerated` status (the end state is there already); other failures raise _CallFailedError."""
    try:
        await call
    except ApiException as err:
        if err.status == tolerated:
            return False
        raise _CallFailedError(errors.message(err)) from err
    except (HTTPError, OSError) as err:
        raise _CallFailedError(f"API server unreachable ({type(err).__name__})") from err
    return True


async def _read(api: client.ApiClient, kind: TargetKind, md: ModelDeployment, name: str) -> Manifest | None:
    """The live object, or None when it does not exist."""
    try:
        return await objects.get(api, kind.api_version, kind.plural, md.metadata.namespace or "", name)
    except ApiException as err:
        if errors.is_not_found(err):
            return None
        raise _CallFailedError(errors.message(err)) from err
    except (HTTPError, OSError) as err:
        raise _CallFailedError(f"API server unreachable ({type(err).__name__})") from err


def _kind(manifest: Manifest) -> TargetKind:
    return CLAIM if manifest["kind"] == CLAIM.kind else JOB
