"""ModelDeployment bodies whose status comes from the operator's pure status code paths.

The core's decision (core/decide.py) is folded in first, then the provider's outcome
(core/provider_status.py), the same two writers the running operator uses.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from airunway_operator.api.constants import Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core.decide import decide
from airunway_operator.core.provider_status import Outcome
from providers.base import ProviderStatus
from tests.support import manifests, vllm_md

NOW = datetime(2026, 11, 30, tzinfo=UTC)
GENERATION = 3
CONFIGS = [
    InferenceProviderConfig.parse({**body, "status": {"ready": True}})
    for _, body in manifests("config/providers")
]


def _fold(status: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Apply desired status keys as the status writer's JSON merge patch does: None deletes a key."""
    merged = dict(status)
    for key, value in fields.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _fold(merged[key], value)
        else:
            merged[key] = value
    return merged


def _object(status: dict[str, Any], generation: int = GENERATION) -> dict[str, Any]:
    body = vllm_md("m")
    body["metadata"].update({"namespace": "ns", "generation": generation})
    body["status"] = status
    return body


def _core_pass(status: dict[str, Any], generation: int = GENERATION) -> dict[str, Any]:
    deployment = ModelDeployment.parse(_object(status, generation))
    return _fold(status, decide(deployment, status, CONFIGS, NOW).status)


def _provider_pass(status: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    return _fold(status, outcome.status_fields(status, GENERATION, NOW))


def pending() -> dict[str, Any]:
    """After the core's first pass: provider recorded, phase Pending, Ready False."""
    return _object(_core_pass({}))


def deploying() -> dict[str, Any]:
    outcome = Outcome().compatible("vLLM").created("m", "Deployment", ProviderStatus(Phase.DEPLOYING))
    return _object(_provider_pass(_core_pass({}), outcome))


def running() -> dict[str, Any]:
    mapped = ProviderStatus(
        Phase.RUNNING, desired=1, ready=1, available=1, endpoint_service="m", endpoint_port=8000
    )
    outcome = Outcome().compatible("vLLM").created("m", "Deployment", mapped)
    return _object(_core_pass(_provider_pass(_core_pass({}), outcome)))


def failed() -> dict[str, Any]:
    outcome = Outcome().compatible("vLLM").create_failed('deployments.apps "m" is forbidden')
    return _object(_provider_pass(_core_pass({}), outcome))


def with_generation(body: dict[str, Any], generation: int) -> dict[str, Any]:
    """The same object after a spec change the operator has not observed yet."""
    changed = copy.deepcopy(body)
    changed["metadata"]["generation"] = generation
    return changed
