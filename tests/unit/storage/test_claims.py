"""Phase 1 of the storage pipeline, one row of SPEC-core §5.2 / SPEC-providers §3.3 per case."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.constants import Phase
from airunway_operator.storage import claims
from airunway_operator.storage.verdict import CLAIM, Removal, Stop, Verdict
from providers.base import ConditionUpdate
from tests.unit.storage.builders import EARLIER_UID, UID, claim, deployment

PRE_EXISTING = {"name": "data", "claimName": "shared-data", "mountPath": "/data"}
MANAGED = {"name": "cache", "purpose": "modelCache", "size": "10Gi"}

BOUND = ConditionUpdate("StorageReady", "True", "PVCsBound", "All managed PVCs are bound")
WAITING = ConditionUpdate("StorageReady", "False", "PVCsPending", "Waiting for PVCs to be bound")
WAIT = Stop(Phase.PENDING, "Waiting for PVCs to be bound", 10.0)
NOT_OURS = (
    "PVC qwen-cache exists but was not created by airunway (missing airunway.ai/managed-by label); "
    "refusing to delete — remove the PVC manually or change the volume claimName"
)


def failure(error: str) -> Verdict:
    return Verdict(
        ConditionUpdate("StorageReady", "False", "PVCFailed", error),
        Stop(Phase.FAILED, f"Failed to ensure PVCs: {error}"),
    )


def plan(volume: dict[str, Any], live: dict[str, Any] | None) -> Verdict | None:
    md = deployment(volume)
    name = claims.claim_names(md)[0]
    return claims.plan(md, {name: live})


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param(claim("shared-data", "Bound"), Verdict(BOUND), id="Bound is ready"),
        pytest.param(claim("shared-data", "Pending"), Verdict(WAITING, WAIT), id="Pending is not ready"),
        pytest.param(claim("shared-data", None), Verdict(WAITING, WAIT), id="no phase yet is not ready"),
        pytest.param(
            claim("shared-data", "Bound", deleting=True),
            Verdict(WAITING, WAIT),
            id="a claim being deleted waits",
        ),
        pytest.param(
            claim("shared-data", "Lost"),
            failure('pre-existing PVC "shared-data" is in Lost phase'),
            id="Lost fails",
        ),
        pytest.param(
            None,
            failure(
                'pre-existing PVC "shared-data" not found in namespace "default" '
                '(referenced by volume "data"); '
                "ensure the PVC exists before creating the ModelDeployment"
            ),
            id="a missing claim fails naming claim, namespace and volume",
        ),
    ],
)
def test_pre_existing_claim(live: dict[str, Any] | None, expected: Verdict) -> None:
    assert plan(PRE_EXISTING, live) == expected


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param(claim("qwen-cache", "Bound", owner_uid=UID), Verdict(BOUND), id="owned Bound is ready"),
        pytest.param(
            claim("qwen-cache", "Pending", owner_uid=UID),
            Verdict(BOUND),
            id="owned Pending is ready (WaitForFirstConsumer binds on first use)",
        ),
        pytest.param(
            claim("qwen-cache", None, owner_uid=UID), Verdict(WAITING, WAIT), id="owned without phase waits"
        ),
        pytest.param(
            claim("qwen-cache", "Bound", owner_uid=UID, deleting=True),
            Verdict(WAITING, WAIT),
            id="owned and being deleted waits",
        ),
        pytest.param(
            claim("qwen-cache", "Lost", owner_uid=UID),
            failure("PVC qwen-cache is in Lost phase"),
            id="owned Lost fails",
        ),
        pytest.param(
            claim("qwen-cache", "Bound", owner_uid=EARLIER_UID, managed_label=True),
            Verdict(WAITING, WAIT, remove=(Removal(CLAIM, "qwen-cache"),)),
            id="a stale claim of an earlier namesake is deleted",
        ),
        pytest.param(
            claim("qwen-cache", "Bound", owner_uid=EARLIER_UID, managed_label=True, deleting=True),
            Verdict(WAITING, WAIT),
            id="a stale claim already being deleted is waited for",
        ),
        pytest.param(
            claim("qwen-cache", "Bound", owner_uid=EARLIER_UID),
            failure(NOT_OURS),
            id="foreign-owned unlabelled fails",
        ),
        pytest.param(
            claim("qwen-cache", "Bound"), failure(NOT_OURS), id="someone's own claim is never deleted"
        ),
    ],
)
def test_managed_claim(live: dict[str, Any] | None, expected: Verdict) -> None:
    assert plan(MANAGED, live) == expected


def test_absent_managed_claim_is_created_and_not_ready_yet() -> None:
    md = deployment(MANAGED)
    assert claims.plan(md, {"qwen-cache": None}) == Verdict(
        WAITING, WAIT, create=(claims.render_claim(md, claims.volumes(md)[0]),)
    )


def test_no_volumes_no_verdict() -> None:
    assert claims.plan(deployment(), {}) is None
    assert claims.claim_names(deployment()) == ()


def test_first_error_wins_and_keeps_the_writes_decided_before_it() -> None:
    md = deployment(MANAGED, PRE_EXISTING, {"name": "other", "claimName": "gone-too", "mountPath": "/o"})
    decided = claims.plan(md, {"qwen-cache": None, "shared-data": None, "gone-too": None})
    assert decided is not None
    assert decided.condition.reason == "PVCFailed"
    assert '"shared-data"' in decided.condition.message
    assert [m["metadata"]["name"] for m in decided.create] == ["qwen-cache"]


def test_every_volume_must_be_ready() -> None:
    md = deployment(MANAGED, PRE_EXISTING)
    live = {
        "qwen-cache": claim("qwen-cache", "Pending", owner_uid=UID),
        "shared-data": claim("shared-data", "Pending"),
    }
    assert claims.plan(md, live) == Verdict(WAITING, WAIT)
    live["shared-data"] = claim("shared-data", "Bound")
    assert claims.plan(md, live) == Verdict(BOUND)


@pytest.mark.parametrize(
    ("volume", "spec"),
    [
        pytest.param(
            MANAGED,
            {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}},
            id="ReadWriteMany by default, no storageClassName (the cluster default class)",
        ),
        pytest.param(
            {**MANAGED, "accessMode": "ReadWriteOnce", "storageClassName": ""},
            {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Gi"}},
                "storageClassName": "",
            },
            id="explicit access mode, empty class (no dynamic provisioning) kept",
        ),
        pytest.param(
            {**MANAGED, "storageClassName": "fast"},
            {
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "10Gi"}},
                "storageClassName": "fast",
            },
            id="named class",
        ),
    ],
)
def test_rendered_claim(volume: dict[str, Any], spec: dict[str, Any]) -> None:
    md = deployment(volume)
    assert claims.render_claim(md, claims.volumes(md)[0]) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "qwen-cache",
            "namespace": "default",
            "labels": {"airunway.ai/managed-by": "airunway", "airunway.ai/model-deployment": "qwen"},
            "ownerReferences": [
                {
                    "apiVersion": "airunway.ai/v1alpha1",
                    "kind": "ModelDeployment",
                    "name": "qwen",
                    "uid": UID,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
    }


def test_claim_names_in_volume_order_once_each() -> None:
    md = deployment(MANAGED, PRE_EXISTING, {"name": "again", "claimName": "shared-data", "mountPath": "/b"})
    assert claims.claim_names(md) == ("qwen-cache", "shared-data")


@pytest.mark.parametrize(
    ("namespace", "name", "expected"),
    [
        pytest.param("default", "shared-data", True, id="a named pre-existing claim"),
        pytest.param("default", "qwen-cache", True, id="the derived name of a managed volume"),
        pytest.param("other", "shared-data", False, id="the same name in another namespace"),
        pytest.param("default", "unrelated", False, id="a claim nobody mounts"),
    ],
)
def test_references(namespace: str, name: str, expected: bool) -> None:
    body = {
        "metadata": {"name": "qwen", "namespace": "default"},
        "spec": {"model": {"storage": {"volumes": [MANAGED, PRE_EXISTING]}}},
    }
    assert claims.references(body, namespace, name) is expected


def test_references_never_raises_on_odd_bodies() -> None:
    assert not claims.references({}, "default", "x")
    assert not claims.references(
        {"metadata": {"namespace": "default"}, "spec": {"model": {"storage": {"volumes": "x"}}}},
        "default",
        "x",
    )
