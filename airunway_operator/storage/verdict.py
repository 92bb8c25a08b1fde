"""What one step of the storage pipeline decided, and the vocabulary both steps share. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from airunway_operator.api import constants
from airunway_operator.api.constants import Phase
from providers.base import ConditionUpdate, Manifest, TargetKind

CLAIM: Final = TargetKind("v1", "PersistentVolumeClaim", "persistentvolumeclaims")
JOB: Final = TargetKind("batch/v1", "Job", "jobs")
KINDS: Final = (CLAIM, JOB)

STORAGE_READY: Final = "StorageReady"
MODEL_DOWNLOADED: Final = "ModelDownloaded"

#: Upstream's requeue delays while claims bind and while the download runs.
CLAIMS_REQUEUE_SECONDS: Final = 10.0
DOWNLOAD_REQUEUE_SECONDS: Final = 15.0


@dataclass(frozen=True)
class Stop:
    """The pass ends here: write `phase` and `message`, render nothing, maybe come back later."""

    phase: Phase
    message: str
    requeue_after: float | None = None


@dataclass(frozen=True)
class Removal:
    """A live object to delete (a stale claim of an earlier ModelDeployment, a foreign Job)."""

    kind: TargetKind
    name: str
    propagation: str = "Background"


@dataclass(frozen=True)
class Verdict:
    """One step's decision: its condition, the writes to make, and whether the pass stops."""

    condition: ConditionUpdate
    stop: Stop | None = None
    create: tuple[Manifest, ...] = ()
    remove: tuple[Removal, ...] = ()


def labels(md_name: str) -> dict[str, str]:
    """The two labels that mark an object of the storage pipeline (and select it for clean-up)."""
    return {constants.LABEL_MANAGED_BY: constants.MANAGED_BY_VALUE, constants.LABEL_MODEL_DEPLOYMENT: md_name}


def selector(md_name: str) -> str:
    """`labels` as a label selector."""
    return ",".join(f"{key}={value}" for key, value in labels(md_name).items())


def is_owned_by(live: Mapping[str, Any], uid: str | None) -> bool:
    """Does any owner reference of `live` carry the ModelDeployment's uid? (upstream IsOwnedByMD)"""
    refs = _mapping(live.get("metadata")).get("ownerReferences")
    if not uid or not isinstance(refs, list):
        return False
    return any(isinstance(ref, Mapping) and ref.get("uid") == uid for ref in refs)


def is_deleting(live: Mapping[str, Any]) -> bool:
    return bool(_mapping(live.get("metadata")).get("deletionTimestamp"))


def name_of(live: Mapping[str, Any]) -> str:
    return str(_mapping(live.get("metadata")).get("name") or "")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Result:
    """The whole pipeline's answer to the runtime: conditions to write, whether to stop, and the
    API failure (if any) that makes the work queue retry with backoff."""

    conditions: tuple[ConditionUpdate, ...] = ()
    stop: Stop | None = None
    retry: str | None = None


def clean_up_names(items: list[Manifest], uid: str | None) -> list[str]:
    """Of the objects listed by `selector`, those to delete when the ModelDeployment goes: owned
    by its uid (a namesake's objects survive) and not already being deleted."""
    return [name_of(item) for item in items if is_owned_by(item, uid) and not is_deleting(item)]
