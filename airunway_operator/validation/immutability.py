"""What an UPDATE may not change (SPEC-core §2.4): identity fields and controller-created volumes.

Both sides are effective specs (`defaults.effective_spec`), so an object stored by upstream with
its webhook defaults and one stored by us without them compare equal when they mean the same.
Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from airunway_operator.api.modeldeployment import ModelDeploymentSpec, StorageVolume
from airunway_operator.sdk import effective as defaults
from airunway_operator.validation import paths, quantity
from airunway_operator.validation.result import ErrorKind, FieldError, shown

#: Wire names and readers of the fields a managed volume must keep (matched by name).
_VOLUME_FIELDS: Final[tuple[tuple[str, Callable[[StorageVolume], object]], ...]] = (
    ("claimName", lambda v: v.claim_name),
    ("mountPath", lambda v: v.mount_path),
    ("purpose", lambda v: v.purpose),
    ("readOnly", lambda v: v.read_only),
    ("accessMode", lambda v: v.access_mode),
    ("storageClassName", lambda v: v.storage_class_name),
)


def check(new: ModelDeploymentSpec, old: ModelDeploymentSpec, old_status_provider: str) -> list[FieldError]:
    """Every forbidden change from `old` to `new`; `old_status_provider` is the old object's
    `status.provider.name` (an auto-selected provider is as binding as an explicit one)."""
    return [
        *_check_model(new, old),
        *_check_engine(new, old),
        *_check_provider(new, old, old_status_provider),
        *_check_mode(new, old),
        *_check_volumes(new, old),
    ]


def _check_model(new: ModelDeploymentSpec, old: ModelDeploymentSpec) -> list[FieldError]:
    errors = []
    if (new.model.id or "") != (old.model.id or ""):
        message = (
            f"spec.model.id is immutable (it was {_describe(old.model.id)}); "
            "create a new ModelDeployment to serve another model"
        )
        errors.append(FieldError(paths.MODEL_ID, ErrorKind.INVALID, message))
    if new.model.source != old.model.source:
        message = (
            f"spec.model.source is immutable (it was {_describe(old.model.source)}); "
            "create a new ModelDeployment instead"
        )
        errors.append(FieldError(paths.MODEL_SOURCE, ErrorKind.INVALID, message))
    return errors


def _check_engine(new: ModelDeploymentSpec, old: ModelDeploymentSpec) -> list[FieldError]:
    new_engine = new.engine.type if new.engine is not None else None
    old_engine = old.engine.type if old.engine is not None else None
    if new_engine is None or old_engine is None or new_engine == old_engine:
        return []
    message = (
        f"spec.engine.type is immutable once set and cannot change from {old_engine.value!r} to "
        f"{new_engine.value!r}; create a new ModelDeployment for another engine"
    )
    return [FieldError(paths.ENGINE_TYPE, ErrorKind.INVALID, message)]


def _check_provider(
    new: ModelDeploymentSpec, old: ModelDeploymentSpec, old_status_provider: str
) -> list[FieldError]:
    new_provider = (new.provider.name if new.provider is not None else None) or ""
    old_provider = (old.provider.name if old.provider is not None else None) or old_status_provider
    if not new_provider or not old_provider or new_provider == old_provider:
        return []
    message = (
        f"spec.provider.name is immutable once a provider is bound and cannot change to "
        f"{shown(new_provider)}: the deployment already uses provider {shown(old_provider)}; "
        "clear the field or create a new ModelDeployment"
    )
    return [FieldError(paths.PROVIDER_NAME, ErrorKind.INVALID, message)]


def _check_mode(new: ModelDeploymentSpec, old: ModelDeploymentSpec) -> list[FieldError]:
    new_mode, old_mode = defaults.serving_mode(new), defaults.serving_mode(old)
    if new_mode == old_mode:
        return []
    message = (
        f"spec.serving.mode is immutable and cannot change from {old_mode.value!r} to "
        f"{new_mode.value!r}; create a new ModelDeployment instead"
    )
    return [FieldError(paths.SERVING_MODE, ErrorKind.INVALID, message)]


def _check_volumes(new: ModelDeploymentSpec, old: ModelDeploymentSpec) -> list[FieldError]:
    managed = [v for v in _volumes(old) if v.size is not None]
    if not managed:
        return []
    if new.model.storage is None:
        names = ", ".join(v.name for v in managed)
        message = (
            f"spec.model.storage cannot be removed: its volumes with controller-created claims "
            f"({names}) are immutable; keep those volumes"
        )
        return [FieldError(paths.STORAGE, ErrorKind.FORBIDDEN, message)]
    positions = {}
    for position, volume in reversed(list(enumerate(_volumes(new)))):
        positions[volume.name] = (position, volume)
    errors: list[FieldError] = []
    for volume in managed:
        if volume.name in positions:
            errors += _check_volume(*positions[volume.name], volume)
        else:
            message = (
                f"spec.model.storage.volumes no longer lists volume {volume.name!r}, whose claim the "
                "controller created; managed volumes are immutable and cannot be removed, so restore it"
            )
            errors.append(FieldError(paths.VOLUMES, ErrorKind.FORBIDDEN, message))
    return errors


def _check_volume(position: int, new: StorageVolume, old: StorageVolume) -> list[FieldError]:
    changed = [(name, read(old), read(new)) for name, read in _VOLUME_FIELDS if read(old) != read(new)]
    if not _same_size(old.size, new.size):
        changed.append(("size", old.size, new.size))
    return [
        FieldError(
            paths.volume(position, name),
            ErrorKind.INVALID,
            f"{paths.volume(position, name)} of managed volume {new.name!r} is immutable "
            f"(was {_describe(before)}, now {_describe(after)}); add a new volume instead",
        )
        for name, before, after in changed
    ]


def _same_size(old: int | str | None, new: int | str | None) -> bool:
    """Sizes are compared by value (1Gi equals 1024Mi); unparsable sizes by their text."""
    if old is None or new is None:
        return old is new
    old_value, new_value = quantity.try_parse(old), quantity.try_parse(new)
    if old_value is None or new_value is None:
        return str(old) == str(new)
    return old_value == new_value


def _volumes(spec: ModelDeploymentSpec) -> tuple[StorageVolume, ...]:
    storage = spec.model.storage
    return storage.volumes or () if storage is not None else ()


def _describe(value: object) -> str:
    if value is None:
        return "unset"
    return shown(value)
