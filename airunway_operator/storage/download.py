"""Phase 2 of the storage pipeline: the model-download Job (SPEC-core §5.3). Pure.

A Hugging Face model with a writable `modelCache` volume is downloaded into that volume by a Job
`<md>-model-download` before anything is rendered; the pass waits for the Job to complete. A
read-only model cache is taken to hold the weights already (admission warns), so no Job runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.api import constants
from airunway_operator.api.celrules import DOWNLOAD_JOB_SUFFIX
from airunway_operator.api.constants import ModelSource, Phase, VolumePurpose
from airunway_operator.api.modeldeployment import ModelDeployment, StorageVolume
from airunway_operator.storage import claims, verdict
from airunway_operator.storage.verdict import JOB, Removal, Stop, Verdict
from providers.base import ConditionUpdate, Manifest
from providers.common import owner_reference

DEFAULT_IMAGE: Final = "ghcr.io/ai-runway/airunway/model-downloader:latest"
CONTAINER: Final = "model-download"
VOLUME: Final = "model-cache"
BACKOFF_LIMIT: Final = 6
RESOURCES: Final = {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "16Gi"}}
IN_PROGRESS: Final = "Model download in progress"
COMPLETED: Final = "Model download completed"


def cache_volume(md: ModelDeployment) -> StorageVolume | None:
    """The first `modelCache` volume (mount path defaulted), if any."""
    return next((v for v in claims.volumes(md) if v.purpose is VolumePurpose.MODEL_CACHE), None)


def is_needed(md: ModelDeployment) -> bool:
    """Source `huggingface` and a model cache that is not read-only, managed or not."""
    volume = cache_volume(md)
    return md.spec.model.source is ModelSource.HUGGINGFACE and volume is not None and not volume.read_only


def job_name(md: ModelDeployment) -> str:
    return f"{md.metadata.name or ''}{DOWNLOAD_JOB_SUFFIX}"


def render_job(md: ModelDeployment, volume: StorageVolume, image: str) -> Manifest:
    """`hf download <model.id>` into the cache volume, with `HF_HOME` at its mount path and the
    Hugging Face token Secret as environment when one is configured."""
    mount_path = volume.mount_path or ""
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": image,
        "args": ["download", md.spec.model.id],
        "env": [{"name": "HF_HOME", "value": mount_path}],
    }
    secret = md.spec.secrets.hugging_face_token if md.spec.secrets is not None else None
    if secret:
        container["envFrom"] = [{"secretRef": {"name": secret}}]
    container["resources"] = {key: dict(value) for key, value in RESOURCES.items()}
    container["volumeMounts"] = [{"name": VOLUME, "mountPath": mount_path}]
    return {
        "apiVersion": JOB.api_version,
        "kind": JOB.kind,
        "metadata": {
            "name": job_name(md),
            "namespace": md.metadata.namespace or "",
            "labels": {
                **verdict.labels(md.metadata.name or ""),
                constants.LABEL_JOB_TYPE: constants.JOB_TYPE_MODEL_DOWNLOAD,
            },
            "ownerReferences": [owner_reference(md)],
        },
        "spec": {
            "backoffLimit": BACKOFF_LIMIT,
            "completions": 1,
            "parallelism": 1,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [container],
                    "volumes": [
                        {
                            "name": VOLUME,
                            "persistentVolumeClaim": {"claimName": claims.claim_name(md, volume)},
                        }
                    ],
                }
            },
        },
    }


def plan(md: ModelDeployment, live: Manifest | None, image: str) -> Verdict | None:
    """The verdict on the download given the live Job `<md>-model-download` (None: absent); None
    when no download is needed."""
    volume = cache_volume(md)
    if volume is None or not is_needed(md):
        return None
    if live is None:
        return _with(_in_progress(), create=(render_job(md, volume, image),))
    if not verdict.is_owned_by(live, md.metadata.uid):
        # Left by an earlier ModelDeployment of this name (or someone else): replace it.
        removal = () if verdict.is_deleting(live) else (Removal(JOB, job_name(md)),)
        return _with(_in_progress(), remove=removal)
    if verdict.is_deleting(live):
        return _in_progress()
    error = _failure(live)
    if error is not None:
        return failed(error)
    return _done() if _succeeded(live) else _in_progress()


def failed(error: str) -> Verdict:
    """The download cannot succeed: `ModelDownloaded=False DownloadFailed`, phase Failed."""
    return Verdict(
        ConditionUpdate(verdict.MODEL_DOWNLOADED, "False", "DownloadFailed", error),
        Stop(Phase.FAILED, f"Model download failed: {error}"),
    )


def _succeeded(job: Manifest) -> bool:
    first = _first_final_condition(job)
    if first is not None:
        return first[0] == "Complete"
    return _count(_mapping(job.get("status")).get("succeeded")) >= 1


def _failure(job: Manifest) -> str | None:
    """Why the Job failed for good, or None: a `Failed=True` condition (unless `Complete=True`
    comes first, as upstream reads them in order), else failures reaching the backoff limit."""
    name = verdict.name_of(job)
    first = _first_final_condition(job)
    if first is not None:
        kind, message = first
        return f"model download Job {name} failed permanently: {message}" if kind == "Failed" else None
    status = _mapping(job.get("status"))
    if _count(status.get("succeeded")) >= 1:
        return None
    limit = _mapping(job.get("spec")).get("backoffLimit")
    limit = limit if isinstance(limit, int) and not isinstance(limit, bool) else BACKOFF_LIMIT
    failures = _count(status.get("failed"))
    if failures >= limit:
        return f"model download Job {name} failed permanently (failed={failures}, backoffLimit={limit})"
    return None


def _first_final_condition(job: Manifest) -> tuple[str, str] | None:
    """(type, message) of the first `Complete` or `Failed` condition whose status is True."""
    raw = _mapping(job.get("status")).get("conditions")
    for item in raw if isinstance(raw, list) else ():
        item = _mapping(item)
        if item.get("status") == "True" and item.get("type") in ("Complete", "Failed"):
            return str(item["type"]), str(item.get("message") or "")
    return None


def _in_progress() -> Verdict:
    return Verdict(
        ConditionUpdate(verdict.MODEL_DOWNLOADED, "False", "DownloadInProgress", IN_PROGRESS),
        Stop(Phase.PENDING, IN_PROGRESS, verdict.DOWNLOAD_REQUEUE_SECONDS),
    )


def _done() -> Verdict:
    return Verdict(ConditionUpdate(verdict.MODEL_DOWNLOADED, "True", "DownloadComplete", COMPLETED))


def _with(
    outcome: Verdict, *, create: tuple[Manifest, ...] = (), remove: tuple[Removal, ...] = ()
) -> Verdict:
    return Verdict(outcome.condition, outcome.stop, create, remove)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
