"""Phase 2 of the storage pipeline, the model-download Job: one row of SPEC-core §5.3 /
SPEC-providers §3.3 per case."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.constants import Phase
from airunway_operator.storage import download
from airunway_operator.storage.verdict import JOB, Removal, Stop, Verdict
from providers.base import ConditionUpdate
from tests.unit.storage.builders import EARLIER_UID, UID, deployment, job

IMAGE = "registry.example.com/model-downloader:1"
MANAGED_CACHE = {"name": "cache", "purpose": "modelCache", "size": "10Gi"}
PRE_EXISTING_CACHE = {"name": "cache", "purpose": "modelCache", "claimName": "weights"}

RUNNING = Verdict(
    ConditionUpdate("ModelDownloaded", "False", "DownloadInProgress", "Model download in progress"),
    Stop(Phase.PENDING, "Model download in progress", 15.0),
)
DONE = Verdict(ConditionUpdate("ModelDownloaded", "True", "DownloadComplete", "Model download completed"))


def failure(error: str) -> Verdict:
    return Verdict(
        ConditionUpdate("ModelDownloaded", "False", "DownloadFailed", error),
        Stop(Phase.FAILED, f"Model download failed: {error}"),
    )


@pytest.mark.parametrize(
    ("volumes", "fields", "needed"),
    [
        pytest.param([MANAGED_CACHE], {}, True, id="managed model cache, Hugging Face"),
        pytest.param([PRE_EXISTING_CACHE], {}, True, id="pre-existing writable model cache"),
        pytest.param(
            [{**PRE_EXISTING_CACHE, "readOnly": True}],
            {},
            False,
            id="read-only model cache holds the weights",
        ),
        pytest.param(
            [MANAGED_CACHE], {"model__source": "custom"}, False, id="custom source downloads nothing"
        ),
        pytest.param(
            [{"name": "kernels", "purpose": "compilationCache", "size": "1Gi"}],
            {},
            False,
            id="no model cache volume",
        ),
        pytest.param([], {}, False, id="no volumes"),
    ],
)
def test_is_needed(volumes: list[dict[str, Any]], fields: dict[str, Any], needed: bool) -> None:
    md = deployment(*volumes, **fields)
    assert download.is_needed(md) is needed
    if not needed:
        assert download.plan(md, None, IMAGE) is None


def expected_job(claim: str, mount_path: str, env_from: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "model-download",
        "image": IMAGE,
        "args": ["download", "Qwen/Qwen3-0.6B"],
        "env": [{"name": "HF_HOME", "value": mount_path}],
    }
    if env_from:
        container["envFrom"] = [{"secretRef": {"name": env_from}}]
    container["resources"] = {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "16Gi"}}
    container["volumeMounts"] = [{"name": "model-cache", "mountPath": mount_path}]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "qwen-model-download",
            "namespace": "default",
            "labels": {
                "airunway.ai/managed-by": "airunway",
                "airunway.ai/model-deployment": "qwen",
                "airunway.ai/job-type": "model-download",
            },
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
        "spec": {
            "backoffLimit": 6,
            "completions": 1,
            "parallelism": 1,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [container],
                    "volumes": [{"name": "model-cache", "persistentVolumeClaim": {"claimName": claim}}],
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("volume", "fields", "expected"),
    [
        pytest.param(
            MANAGED_CACHE, {}, expected_job("qwen-cache", "/model-cache"), id="managed cache, default path"
        ),
        pytest.param(
            {**PRE_EXISTING_CACHE, "mountPath": "/weights"},
            {"secrets__huggingFaceToken": "hf-token"},
            expected_job("weights", "/weights", env_from="hf-token"),
            id="pre-existing cache at its own path, with the Hugging Face token Secret",
        ),
    ],
)
def test_absent_job_is_created_as_the_spec_says(
    volume: dict[str, Any], fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    md = deployment(volume, **fields)
    assert download.plan(md, None, IMAGE) == Verdict(RUNNING.condition, RUNNING.stop, create=(expected,))


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param(job(), RUNNING, id="no status yet: running"),
        pytest.param(job(failed=5), RUNNING, id="failures below the backoff limit: running"),
        pytest.param(job(conditions=(("Complete", "True", ""),)), DONE, id="Complete=True is done"),
        pytest.param(job(succeeded=1), DONE, id="succeeded >= 1 is done without conditions"),
        pytest.param(
            job(conditions=(("Complete", "False", ""),), succeeded=1), DONE, id="a False condition is ignored"
        ),
        pytest.param(
            job(conditions=(("Failed", "True", "Job has reached the specified backoff limit"),)),
            failure(
                "model download Job qwen-model-download failed permanently: "
                "Job has reached the specified backoff limit"
            ),
            id="Failed=True fails with the condition's message",
        ),
        pytest.param(
            job(conditions=(("Complete", "True", ""), ("Failed", "True", "x"))),
            DONE,
            id="the first final condition wins",
        ),
        pytest.param(
            job(failed=6),
            failure("model download Job qwen-model-download failed permanently (failed=6, backoffLimit=6)"),
            id="failures reaching the backoff limit fail",
        ),
        pytest.param(
            job(failed=2, backoff_limit=2),
            failure("model download Job qwen-model-download failed permanently (failed=2, backoffLimit=2)"),
            id="the Job's own backoff limit counts",
        ),
        pytest.param(
            job(failed=6, backoff_limit=None),
            failure("model download Job qwen-model-download failed permanently (failed=6, backoffLimit=6)"),
            id="no backoff limit in the Job means 6",
        ),
        pytest.param(job(deleting=True, succeeded=1), RUNNING, id="our Job being deleted is waited for"),
        pytest.param(
            job(owner_uid=EARLIER_UID, succeeded=1),
            Verdict(
                RUNNING.condition, RUNNING.stop, remove=(Removal(JOB, "qwen-model-download", "Background"),)
            ),
            id="a Job of an earlier namesake is deleted in the background, never trusted",
        ),
        pytest.param(
            job(owner_uid=None),
            Verdict(
                RUNNING.condition, RUNNING.stop, remove=(Removal(JOB, "qwen-model-download", "Background"),)
            ),
            id="an ownerless Job is deleted too",
        ),
        pytest.param(
            job(owner_uid=EARLIER_UID, deleting=True), RUNNING, id="a foreign Job already going is waited for"
        ),
    ],
)
def test_live_job(live: dict[str, Any], expected: Verdict) -> None:
    assert download.plan(deployment(MANAGED_CACHE), live, IMAGE) == expected


def test_odd_job_status_never_raises() -> None:
    odd = {
        "metadata": {"name": "qwen-model-download", "ownerReferences": [{"uid": UID}]},
        "status": "x",
        "spec": [],
    }
    assert download.plan(deployment(MANAGED_CACHE), odd, IMAGE) == RUNNING


def test_only_the_first_model_cache_is_used() -> None:
    md = deployment(PRE_EXISTING_CACHE, {"name": "second", "purpose": "modelCache", "claimName": "other"})
    assert download.cache_volume(md) is not None
    assert download.cache_volume(md).claim_name == "weights"  # type: ignore[union-attr]
