"""KAITO Workspaces in a real API server with the vendored KAITO CRD (decision D7).

Every golden render is created with strict field validation and read back unpruned; KAITO's own
status writes map to the phases of §2.6; and a merge patch from `sync_patch` converges on the real
server, with the schema's defaults (inference.preset.accessMode) surviving.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.api import constants
from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from providers.base import Observed, RenderContext
from providers.kaito import PROVIDER, drift, render
from tests.conftest import Cluster
from tests.unit.validation.builders import md as md_body

GOLDEN = Path(__file__).resolve().parents[1] / "providers" / "golden" / "kaito"
GOLDENS = sorted(GOLDEN.glob("*.yaml"))
WS = render.WORKSPACE
GROUP, VERSION = WS.group, WS.version
NOW = "2026-11-30T12:00:00Z"


def _create_owner(cluster: Cluster, namespace: str, name: str, **fields: Any) -> ModelDeployment:
    body = md_body(name, **fields)
    body["metadata"]["namespace"] = namespace
    created = cluster.custom.create_namespaced_custom_object(
        constants.GROUP, constants.VERSION, namespace, constants.MODELDEPLOYMENT_PLURAL, body
    )
    return ModelDeployment.parse(created)


def _owned_by(workspace: dict[str, Any], owner: ModelDeployment) -> dict[str, Any]:
    owned = copy.deepcopy(workspace)
    owned["metadata"]["namespace"] = owner.metadata.namespace
    owned["metadata"]["ownerReferences"][0]["uid"] = owner.metadata.uid
    return owned


def _create(cluster: Cluster, workspace: dict[str, Any]) -> dict[str, Any]:
    namespace = workspace["metadata"]["namespace"]
    cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, WS.plural, workspace, field_validation="Strict"
    )
    return _read(cluster, namespace, workspace["metadata"]["name"])


def _read(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.custom.get_namespaced_custom_object(
        GROUP, VERSION, namespace, WS.plural, name
    )
    return result


def _set_status(cluster: Cluster, workspace: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    namespace, name = workspace["metadata"]["namespace"], workspace["metadata"]["name"]
    cluster.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, WS.plural, name, {"status": status}
    )
    return _read(cluster, namespace, name)


def _condition(kind: str, value: str, message: str = "") -> dict[str, Any]:
    reason = "Succeeded" if value == "True" else "Failed"
    return {"type": kind, "status": value, "reason": reason, "message": message, "lastTransitionTime": NOW}


def _assert_contains(expected: Any, actual: Any, path: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path} is {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} was pruned by the API server"
            _assert_contains(value, actual[key], f"{path}.{key}")
    else:
        assert actual == expected, f"{path}: sent {expected!r}, stored {actual!r}"


def _golden(path: Path) -> dict[str, Any]:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert len(documents) == 1
    workspace: dict[str, Any] = documents[0]
    return workspace


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_golden_workspace_is_stored_unpruned_and_maps_to_running(
    cluster: Cluster, namespace: str, path: Path
) -> None:
    golden = _golden(path)
    owner = _create_owner(cluster, namespace, golden["metadata"]["name"])
    workspace = _owned_by(golden, owner)

    stored = _create(cluster, workspace)

    _assert_contains(workspace, stored)
    assert drift.sync_patch(workspace, stored) is None, "server defaults must not count as drift"
    assert PROVIDER.map_status(owner, Observed.of(stored)).phase is Phase.PENDING

    ready = _set_status(
        cluster,
        stored,
        {
            "state": "Ready",
            "conditions": [
                _condition("ResourceReady", "True"),
                _condition("InferenceReady", "True"),
                _condition("WorkspaceSucceeded", "True"),
            ],
        },
    )
    result = PROVIDER.map_status(owner, Observed.of(ready))
    count = workspace["resource"]["count"]
    assert (result.phase, result.message) == (Phase.RUNNING, "")
    assert (result.desired, result.ready, result.available) == (count, count, count)
    assert (result.endpoint_service, result.endpoint_port) == (owner.metadata.name, 80)


@pytest.mark.parametrize(
    ("status", "phase", "message"),
    [
        pytest.param(
            {
                "state": "Failed",
                "conditions": [
                    _condition("ResourceReady", "False", "no node matches the label selector"),
                    _condition("WorkspaceSucceeded", "False", "workspace failed: insufficient GPU quota"),
                ],
            },
            Phase.FAILED,
            "workspace failed: insufficient GPU quota",
            id="state Failed with conditions",
        ),
        pytest.param(
            {"conditions": [_condition("WorkspaceSucceeded", "False", "preset not supported")]},
            Phase.FAILED,
            "preset not supported",
            id="older KAITO: WorkspaceSucceeded False without state",
        ),
        pytest.param(
            {
                "conditions": [
                    _condition("ResourceReady", "True"),
                    _condition("InferenceReady", "False", "pulling"),
                ]
            },
            Phase.DEPLOYING,
            "",
            id="older KAITO: nodes ready, inference not yet",
        ),
        pytest.param({"state": "Running"}, Phase.DEPLOYING, "fine-tuning in progress", id="state Running"),
    ],
)
def test_kaito_status_writes_map_to_phases(
    cluster: Cluster, namespace: str, status: dict[str, Any], phase: Phase, message: str
) -> None:
    golden = _golden(GOLDEN / "vllm-preset-hf-secret.yaml")
    owner = _create_owner(cluster, namespace, golden["metadata"]["name"])
    stored = _set_status(cluster, _create(cluster, _owned_by(golden, owner)), status)

    result = PROVIDER.map_status(owner, Observed.of(stored))

    assert (result.phase, result.message) == (phase, message)
    assert result.ready == 0


def test_sync_patch_converges_on_the_api_server_and_keeps_kaito_defaults(
    cluster: Cluster, namespace: str
) -> None:
    fields: dict[str, Any] = {
        "engine__type": "vllm",
        "resources__gpu__count": 1,
        "secrets__huggingFaceToken": "hf-token",
        "nodeSelector": {"pool": "a"},
        "podTemplate": {"metadata": {"labels": {"team": "ml"}, "annotations": {"note": "x"}}},
    }
    owner = _create_owner(cluster, namespace, "qwen-drift", **fields)
    before = PROVIDER.render(owner, RenderContext(EngineType.VLLM))[0]
    stored = _create(cluster, before)
    assert stored["inference"]["preset"]["accessMode"] == "public", "the schema default KAITO relies on"

    changed = ModelDeployment.parse(
        {
            **owner.model_dump(mode="json", by_alias=True, exclude_none=True),
            "spec": md_body(
                "qwen-drift",
                engine__type="vllm",
                resources__gpu__count=1,
                scaling__replicas=2,
                podTemplate={"metadata": {"annotations": {"note": "y"}}},
            )["spec"],
        }
    )
    after = PROVIDER.render(changed, RenderContext(EngineType.VLLM))[0]
    patch = drift.sync_patch(after, stored)
    assert patch is not None
    cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, WS.plural, "qwen-drift", patch, field_validation="Strict"
    )
    patched = _read(cluster, namespace, "qwen-drift")

    assert drift.sync_patch(after, patched) is None
    assert patched["resource"]["count"] == 2
    assert "pool" not in patched["resource"]["labelSelector"]["matchLabels"]
    assert "presetOptions" not in patched["inference"]["preset"]
    assert patched["inference"]["preset"]["accessMode"] == "public"
    assert "team" not in patched["metadata"]["labels"]
    assert patched["metadata"]["annotations"]["note"] == "y"
    assert patched["metadata"]["annotations"][drift.LAST_APPLIED] == drift.last_applied(after)
