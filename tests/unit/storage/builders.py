"""Typed ModelDeployments and live claims / Jobs for the storage pipeline's table tests."""

from __future__ import annotations

from typing import Any

from airunway_operator.api.modeldeployment import ModelDeployment
from tests.unit.validation.builders import md as md_body

UID = "5f0c3a0e-7d2b-4a57-9a55-3e3b1d2c4f01"
EARLIER_UID = "0a9d6c11-2222-4b4b-8c8c-111111111111"


def deployment(*volumes: dict[str, Any], uid: str = UID, **fields: Any) -> ModelDeployment:
    """A vLLM ModelDeployment `qwen` in namespace `default` with `volumes` (raw, as in a manifest)."""
    if volumes:
        fields["model__storage__volumes"] = list(volumes)
    body = md_body("qwen", engine__type="vllm", **fields)
    body["metadata"]["uid"] = uid
    return ModelDeployment.parse(body)


def owner(uid: str = UID, name: str = "qwen") -> dict[str, Any]:
    return {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def claim(
    name: str,
    phase: str | None = "Bound",
    *,
    owner_uid: str | None = None,
    managed_label: bool = False,
    deleting: bool = False,
) -> dict[str, Any]:
    """A live PersistentVolumeClaim; `owner_uid` adds a controller reference to that ModelDeployment."""
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if owner_uid is not None:
        metadata["ownerReferences"] = [owner(owner_uid)]
    if managed_label:
        metadata["labels"] = {"airunway.ai/managed-by": "airunway", "airunway.ai/model-deployment": "qwen"}
    if deleting:
        metadata["deletionTimestamp"] = "2026-03-10T12:00:00Z"
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata}
    if phase is not None:
        body["status"] = {"phase": phase}
    return body


def job(
    *,
    owner_uid: str | None = UID,
    conditions: tuple[tuple[str, str, str], ...] = (),
    succeeded: int | None = None,
    failed: int | None = None,
    backoff_limit: int | None = 6,
    deleting: bool = False,
) -> dict[str, Any]:
    """A live download Job `qwen-model-download`; `conditions` are (type, status, message)."""
    metadata: dict[str, Any] = {"name": "qwen-model-download", "namespace": "default"}
    if owner_uid is not None:
        metadata["ownerReferences"] = [owner(owner_uid)]
    if deleting:
        metadata["deletionTimestamp"] = "2026-03-10T12:00:00Z"
    status: dict[str, Any] = {}
    if conditions:
        status["conditions"] = [{"type": t, "status": s, "message": m} for t, s, m in conditions]
    if succeeded is not None:
        status["succeeded"] = succeeded
    if failed is not None:
        status["failed"] = failed
    spec: dict[str, Any] = {} if backoff_limit is None else {"backoffLimit": backoff_limit}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec, "status": status}
