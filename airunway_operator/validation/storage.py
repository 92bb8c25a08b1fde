"""Rules for `spec.model.storage.volumes` (SPEC-core §2.3.1): each volume, then the list as a whole.

Volumes are judged on their effective values (`defaults.effective_volume`): a modelCache volume
without mountPath mounts at /model-cache and a managed volume without claimName gets
`<deployment>-<volume>`, exactly as upstream judges them after its defaulting webhook. A volume
with `size` is "managed": the controller creates its claim. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Final

from airunway_operator.api import celrules
from airunway_operator.api.constants import VolumePurpose
from airunway_operator.api.modeldeployment import StorageVolume
from airunway_operator.sdk import effective as defaults
from airunway_operator.validation import paths, quantity
from airunway_operator.validation.result import ErrorKind, FieldError, shown

# Shared with the CRD's own rules (api/celrules.py).
MAX_DERIVED_NAME: Final = celrules.MAX_NAME_LENGTH
SYSTEM_PATHS: Final = celrules.SYSTEM_PATHS
DOWNLOAD_JOB_SUFFIX: Final = celrules.DOWNLOAD_JOB_SUFFIX

_VolumeCheck = Callable[[int, StorageVolume, str], list[FieldError]]


def check(volumes: Sequence[StorageVolume], deployment: str) -> list[FieldError]:
    """Every problem of the effective `volumes` of the ModelDeployment named `deployment`."""
    errors: list[FieldError] = []
    for position, volume in enumerate(volumes):
        for rule in _PER_VOLUME:
            errors += rule(position, volume, deployment)
    return [
        *errors,
        *_check_duplicates(volumes),
        *_check_purposes(volumes),
        *_check_download(volumes, deployment),
    ]


def _check_claim(position: int, volume: StorageVolume, deployment: str) -> list[FieldError]:
    path = paths.volume(position, "claimName")
    if volume.size is None:
        if volume.claim_name:
            return []
        message = (
            f"{path} is required when size is not set; name an existing claim, or set size to create one"
        )
        return [FieldError(path, ErrorKind.REQUIRED, message)]
    derived = defaults.derived_claim_name(deployment, volume.name)
    if volume.claim_name == derived:
        return []
    message = f"{path} must not be set when size is set; the claim is named {shown(derived)} automatically"
    return [FieldError(path, ErrorKind.INVALID, message)]


def _check_managed(position: int, volume: StorageVolume, deployment: str) -> list[FieldError]:
    if volume.size is None:
        return []
    errors = []
    if quantity.try_parse(volume.size) is None:
        # The schema pattern admits decimal exponents (1e1.5) that Kubernetes cannot parse; upstream
        # fails to decode such an object and so rejects it too.
        path = paths.volume(position, "size")
        message = f"{path} {shown(volume.size)} is not a valid resource quantity; write it like 100Gi"
        errors.append(FieldError(path, ErrorKind.INVALID, message))
    if volume.read_only:
        path = paths.volume(position, "readOnly")
        message = (
            f"{path} cannot be true when size is set (a created claim must be writable); set it to false"
        )
        errors.append(FieldError(path, ErrorKind.INVALID, message))
    derived = defaults.derived_claim_name(deployment, volume.name)
    if len(derived) > MAX_DERIVED_NAME:
        path = paths.volume(position, "name")
        message = (
            f"{path} makes the derived claim name <deployment>-<volume> {len(derived)} characters long, "
            f"over the limit of {MAX_DERIVED_NAME}; shorten the volume or deployment name"
        )
        errors.append(FieldError(path, ErrorKind.TOO_LONG, message))
    return errors


def _check_unmanaged(position: int, volume: StorageVolume, deployment: str) -> list[FieldError]:
    if volume.size is not None:
        return []
    errors = []
    if volume.access_mode is not None:
        path = paths.volume(position, "accessMode")
        message = f"{path} only applies when size is set (to a created claim); remove it or set size"
        errors.append(FieldError(path, ErrorKind.FORBIDDEN, message))
    if volume.storage_class_name is not None:
        path = paths.volume(position, "storageClassName")
        message = f"{path} only applies when size is set (to a created claim); remove it or set size"
        errors.append(FieldError(path, ErrorKind.FORBIDDEN, message))
    return errors


def _check_mount_path(position: int, volume: StorageVolume, deployment: str) -> list[FieldError]:
    path = paths.volume(position, "mountPath")
    mount = volume.mount_path
    if not mount:
        if volume.purpose is not VolumePurpose.CUSTOM:
            return []
        message = f"{path} is required when purpose is custom; set an absolute path such as /data"
        return [FieldError(path, ErrorKind.REQUIRED, message)]
    if not mount.startswith("/"):
        message = f"{path} {shown(mount)} must be an absolute path; start it with /"
        return [FieldError(path, ErrorKind.INVALID, message)]
    system = next((s for s in SYSTEM_PATHS if mount == s or mount.startswith(f"{s}/")), None)
    if system is None:
        return []
    message = f"{path} {shown(mount)} overlaps the system path {system}; mount the volume elsewhere"
    return [FieldError(path, ErrorKind.INVALID, message)]


_PER_VOLUME: Final[tuple[_VolumeCheck, ...]] = (
    _check_claim,
    _check_managed,
    _check_unmanaged,
    _check_mount_path,
)


#: Wire names and readers of the fields no two volumes may share (when non-empty).
_UNIQUE_FIELDS: Final[tuple[tuple[str, Callable[[StorageVolume], str | None]], ...]] = (
    ("name", lambda v: v.name),
    ("mountPath", lambda v: v.mount_path),
    ("claimName", lambda v: v.claim_name),
)


def _check_duplicates(volumes: Sequence[StorageVolume]) -> list[FieldError]:
    errors: list[FieldError] = []
    for field, read in _UNIQUE_FIELDS:
        seen: set[str] = set()
        for position, volume in enumerate(volumes):
            value = read(volume)
            if value and value in seen:
                path = paths.volume(position, field)
                message = (
                    f"{path} {shown(value)} is already used by another volume; each volume needs its own"
                )
                errors.append(FieldError(path, ErrorKind.DUPLICATE, message))
            seen.add(value or "")
    return errors


def _check_purposes(volumes: Sequence[StorageVolume]) -> list[FieldError]:
    counts = Counter(volume.purpose for volume in volumes)
    return [
        FieldError(
            paths.VOLUMES,
            ErrorKind.INVALID,
            f"spec.model.storage.volumes has {counts[purpose]} volumes with purpose {purpose.value}, "
            "but at most one is allowed; keep one",
        )
        for purpose in (VolumePurpose.MODEL_CACHE, VolumePurpose.COMPILATION_CACHE)
        if counts[purpose] > 1
    ]


def _check_download(volumes: Sequence[StorageVolume], deployment: str) -> list[FieldError]:
    """A writable managed modelCache gets a download Job named `<deployment>-model-download`."""
    downloads = any(
        v.purpose is VolumePurpose.MODEL_CACHE and v.size is not None and not v.read_only for v in volumes
    )
    job = f"{deployment}{DOWNLOAD_JOB_SUFFIX}"
    if not downloads or len(job) <= MAX_DERIVED_NAME:
        return []
    message = (
        f"metadata.name makes the model download Job name {len(job)} characters long, over the limit of "
        f"{MAX_DERIVED_NAME}; use a shorter name"
    )
    return [FieldError(paths.METADATA_NAME, ErrorKind.TOO_LONG, message)]
