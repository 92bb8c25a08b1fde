"""Phase 1 of the storage pipeline: the claims of `spec.model.storage.volumes` (SPEC-core §5.2). Pure.

A volume without `size` names a pre-existing claim, which must exist and be `Bound`. A volume with
`size` is managed: we create its claim, replace a stale one left by an earlier ModelDeployment of
the same name, and count our own claim ready while it is `Pending` too (a WaitForFirstConsumer
class binds it only once the download Job or the model pod uses it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from airunway_operator.api import constants
from airunway_operator.api.constants import Phase
from airunway_operator.api.modeldeployment import ModelDeployment, StorageVolume
from airunway_operator.sdk import effective
from airunway_operator.storage import verdict
from airunway_operator.storage.verdict import CLAIM, Removal, Stop, Verdict
from providers.base import ConditionUpdate, Manifest
from providers.common import go_quote, owner_reference

BOUND: Final = "Bound"
PENDING: Final = "Pending"
LOST: Final = "Lost"
WAITING: Final = "Waiting for PVCs to be bound"
ALL_BOUND: Final = "All managed PVCs are bound"


@dataclass(frozen=True)
class _State:
    """One volume's claim: ready or not, or an error; and the write it needs."""

    ready: bool = False
    error: str | None = None
    create: Manifest | None = None
    remove: Removal | None = None


def volumes(md: ModelDeployment) -> tuple[StorageVolume, ...]:
    """The storage volumes with upstream's admission defaults (claim names, mount paths) applied."""
    storage = md.spec.model.storage
    listed = storage.volumes if storage is not None else None
    return tuple(effective.effective_volume(volume, md.metadata.name or "") for volume in listed or ())


def claim_name(md: ModelDeployment, volume: StorageVolume) -> str:
    """`claimName`, else `<md>-<volume>`."""
    return volume.claim_name or effective.derived_claim_name(md.metadata.name or "", volume.name)


def claim_names(md: ModelDeployment) -> tuple[str, ...]:
    """Every claim the volumes use, once each, in volume order (what the runtime must read)."""
    return tuple(dict.fromkeys(claim_name(md, volume) for volume in volumes(md)))


def render_claim(md: ModelDeployment, volume: StorageVolume) -> Manifest:
    """The claim of a managed volume: our two labels, a controller reference to the
    ModelDeployment, one access mode (ReadWriteMany by default), the size as the storage request,
    and `storageClassName` exactly as given (absent: the default class, "": none)."""
    spec: dict[str, Any] = {
        "accessModes": [(volume.access_mode or constants.AccessMode.READ_WRITE_MANY).value],
        "resources": {"requests": {"storage": str(volume.size)}},
    }
    if volume.storage_class_name is not None:
        spec["storageClassName"] = volume.storage_class_name
    return {
        "apiVersion": CLAIM.api_version,
        "kind": CLAIM.kind,
        "metadata": {
            "name": claim_name(md, volume),
            "namespace": md.metadata.namespace or "",
            "labels": verdict.labels(md.metadata.name or ""),
            "ownerReferences": [owner_reference(md)],
        },
        "spec": spec,
    }


def plan(md: ModelDeployment, live: Mapping[str, Manifest | None]) -> Verdict | None:
    """The verdict over every volume's claim, given the live claims by name (None: absent); None
    when the deployment has no volumes. The first error wins, keeping the writes decided for the
    volumes before it (upstream creates those before it fails)."""
    listed = volumes(md)
    if not listed:
        return None
    creates: list[Manifest] = []
    removals: list[Removal] = []
    ready = True
    for volume in listed:
        name = claim_name(md, volume)
        judge = _managed if volume.size is not None else _pre_existing
        state = judge(md, volume, name, live.get(name))
        creates += [state.create] if state.create is not None else []
        removals += [state.remove] if state.remove is not None else []
        if state.error is not None:
            return _with_writes(failed(state.error), creates, removals)
        ready = ready and state.ready
    outcome = _ready() if ready else _waiting()
    return _with_writes(outcome, creates, removals)


def failed(error: str) -> Verdict:
    """Claims cannot be used: `StorageReady=False PVCFailed`, phase Failed, no requeue."""
    return Verdict(
        ConditionUpdate(verdict.STORAGE_READY, "False", "PVCFailed", error),
        Stop(Phase.FAILED, f"Failed to ensure PVCs: {error}"),
    )


def references(body: Mapping[str, Any], namespace: str, claim: str) -> bool:
    """Does the raw ModelDeployment `body` mount the claim `namespace/claim`? (for the claim watch,
    which sees claims nobody labelled: the pre-existing ones)."""
    meta = _mapping(body.get("metadata"))
    if meta.get("namespace") != namespace:
        return False
    storage = _mapping(_mapping(_mapping(body.get("spec")).get("model")).get("storage"))
    listed = storage.get("volumes")
    for volume in listed if isinstance(listed, list) else ():
        volume = _mapping(volume)
        name = volume.get("claimName")
        if not name and volume.get("size") is not None:
            name = effective.derived_claim_name(str(meta.get("name") or ""), str(volume.get("name") or ""))
        if name == claim:
            return True
    return False


def _pre_existing(md: ModelDeployment, volume: StorageVolume, name: str, live: Manifest | None) -> _State:
    if live is None:
        return _State(
            error=f"pre-existing PVC {go_quote(name)} not found in namespace "
            f"{go_quote(md.metadata.namespace or '')} (referenced by volume {go_quote(volume.name)}); "
            "ensure the PVC exists before creating the ModelDeployment"
        )
    if verdict.is_deleting(live):
        return _State()
    phase = _phase(live)
    if phase == LOST:
        return _State(error=f"pre-existing PVC {go_quote(name)} is in Lost phase")
    return _State(ready=phase == BOUND)


def _managed(md: ModelDeployment, volume: StorageVolume, name: str, live: Manifest | None) -> _State:
    if live is None:
        return _State(create=render_claim(md, volume))
    if not verdict.is_owned_by(live, md.metadata.uid):
        if _labels(live).get(constants.LABEL_MANAGED_BY) != constants.MANAGED_BY_VALUE:
            return _State(
                error=f"PVC {name} exists but was not created by airunway (missing "
                f"{constants.LABEL_MANAGED_BY} label); refusing to delete — remove the PVC manually "
                "or change the volume claimName"
            )
        # A claim of an earlier ModelDeployment of this name: delete it, create ours next pass.
        return _State() if verdict.is_deleting(live) else _State(remove=Removal(CLAIM, name))
    if verdict.is_deleting(live):
        return _State()
    phase = _phase(live)
    if phase == LOST:
        return _State(error=f"PVC {name} is in Lost phase")
    return _State(ready=phase in (BOUND, PENDING))


def _ready() -> Verdict:
    return Verdict(ConditionUpdate(verdict.STORAGE_READY, "True", "PVCsBound", ALL_BOUND))


def _waiting() -> Verdict:
    return Verdict(
        ConditionUpdate(verdict.STORAGE_READY, "False", "PVCsPending", WAITING),
        Stop(Phase.PENDING, WAITING, verdict.CLAIMS_REQUEUE_SECONDS),
    )


def _with_writes(outcome: Verdict, creates: list[Manifest], removals: list[Removal]) -> Verdict:
    return Verdict(outcome.condition, outcome.stop, tuple(creates), tuple(removals))


def _phase(live: Manifest) -> str:
    return str(_mapping(live.get("status")).get("phase") or "")


def _labels(live: Manifest) -> Mapping[str, Any]:
    return _mapping(_mapping(live.get("metadata")).get("labels"))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
