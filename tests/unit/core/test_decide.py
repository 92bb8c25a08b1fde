"""The core's decision for one pass: recorded engine and provider, conditions, phase, Events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.core.decide import decide
from airunway_operator.status.patch import merge_patch
from tests.support import manifests

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def ready(body: dict[str, Any], is_ready: bool = True) -> InferenceProviderConfig:
    return InferenceProviderConfig.parse({**body, "status": {"ready": is_ready}})


SHIPPED = [ready(body) for _, body in manifests("config/providers")]


def md(spec: dict[str, Any], status: dict[str, Any] | None = None, **meta: Any) -> ModelDeployment:
    body = {
        "metadata": {"name": "m", "namespace": "ns", "generation": 2, **meta},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, **spec},
        "status": status or {},
    }
    return ModelDeployment.parse(body)


def run(deployment: ModelDeployment, configs: list[InferenceProviderConfig] = SHIPPED, **kw: Any) -> Any:
    observed = deployment.model_dump(mode="json", by_alias=True, exclude_none=True).get("status") or {}
    return decide(deployment, observed, configs, NOW, **kw), observed


def condition(status: dict[str, Any], type_: str) -> tuple[str, str]:
    found = next(c for c in status["conditions"] if c["type"] == type_)
    return found["status"], found["reason"]


@pytest.mark.parametrize(
    ("spec", "provider", "engine"),
    [
        pytest.param({}, "kaito", "llamacpp", id="no engine and no GPU selects llama.cpp on KAITO"),
        pytest.param(
            {"engine": {"type": "vllm"}}, "dynamo", "vllm", id="vLLM with the default GPU goes to Dynamo"
        ),
        pytest.param(
            {"engine": {"type": "vllm"}, "resources": {"gpu": {"count": 2}}},
            "kuberay",
            "vllm",
            id="two GPUs go to KubeRay",
        ),
        pytest.param(
            {
                "engine": {"type": "vllm"},
                "serving": {"mode": "disaggregated"},
                "scaling": {"prefill": {"gpu": {"count": 1}}, "decode": {"gpu": {"count": 1}}},
            },
            "dynamo",
            "vllm",
            id="disaggregated vLLM goes to Dynamo",
        ),
    ],
)
def test_worked_examples_record_provider_and_engine(spec: dict[str, Any], provider: str, engine: str) -> None:
    decision, _ = run(md(spec))
    assert decision.status["provider"]["name"] == provider
    assert decision.status["engine"]["type"] == engine
    assert decision.status["phase"] == "Pending"
    assert decision.status["observedGeneration"] == 2
    assert condition(decision.status, "Validated") == ("True", "ValidationPassed")
    assert condition(decision.status, "ProviderSelected") == ("True", "AutoSelected")
    assert condition(decision.status, "Ready") == ("False", "DeploymentInProgress")
    # The pass's successful transitions share one Event, named after the last of them.
    (event,) = decision.events
    assert (event.type, event.reason) == ("Normal", "AutoSelected")
    assert event.message.startswith("Schema validation passed; Engine ")
    assert event.message.endswith(f"Provider {provider} auto-selected")


def test_explicit_provider_is_recorded_verbatim() -> None:
    decision, _ = run(md({"engine": {"type": "vllm"}, "provider": {"name": "vllm"}}))
    assert decision.status["provider"] == {"name": "vllm", "selectedReason": "explicit provider selection"}
    assert condition(decision.status, "ProviderSelected") == ("True", "ExplicitSelection")
    assert condition(decision.status, "EngineSelected") == ("True", "ExplicitSelection")


def test_second_pass_over_its_own_result_changes_nothing() -> None:
    first, observed = run(md({"engine": {"type": "vllm"}}))
    status = {**observed, **{k: v for k, v in first.status.items() if v is not None}}
    second = decide(md({"engine": {"type": "vllm"}}, status), status, SHIPPED, NOW)
    assert merge_patch(status, second.status) is None
    assert second.events == ()


def test_recorded_provider_is_sticky_even_when_it_disappears() -> None:
    status = {"phase": "Running", "provider": {"name": "kuberay", "selectedReason": "matched capabilities"}}
    decision, _ = run(md({"engine": {"type": "vllm"}}, status), configs=[])
    assert "provider" not in decision.status
    assert "phase" not in decision.status


def test_validation_failure_fails_the_phase_and_says_why() -> None:
    spec = {"engine": {"type": "vllm", "image": "b:2"}, "image": "a:1"}
    decision, _ = run(md(spec))
    assert decision.status["phase"] == "Failed"
    assert decision.status["message"].startswith("Validation failed: spec.engine.image")
    assert condition(decision.status, "ImageResolved") == ("False", "ConflictingImageFields")
    assert condition(decision.status, "Ready") == ("False", "ValidationFailed")
    assert decision.error_type is None
    assert [e.type for e in decision.events] == ["Warning", "Warning"]


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        pytest.param(
            {"engine": {"type": "vllm", "image": "b:2"}, "image": "a:1"}, "spec.engine.image", id="image"
        ),
        pytest.param(
            {"engine": {"type": "vllm"}, "provider": {"name": "vllm"}, "resources": {"gpu": {"count": 0}}},
            "spec.resources.gpu.count",
            id="GPU",
        ),
    ],
)
def test_validation_messages_print_the_field_path_once(spec: dict[str, Any], path: str) -> None:
    decision, _ = run(md(spec))
    message = decision.status["message"]
    assert message.startswith(f"Validation failed: {path} ")
    assert f"{path}: {path}" not in message
    validated = next(c for c in decision.status["conditions"] if c["type"] == "Validated")
    assert f"{path}: {path}" not in validated["message"]


def test_fixed_spec_recovers_from_a_core_failure() -> None:
    spec = {"engine": {"type": "vllm"}, "provider": {"name": "vllm"}}
    failed = {
        "phase": "Failed",
        "message": "Validation failed: something",
        "conditions": [
            {
                "type": "Validated",
                "status": "False",
                "reason": "ValidationFailed",
                "message": "x",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    decision, _ = run(md(spec, copy.deepcopy(failed)))
    assert decision.status["phase"] == "Pending"
    assert decision.status["message"] is None
    assert condition(decision.status, "Validated") == ("True", "ValidationPassed")


def test_provider_switch_is_refused() -> None:
    status = {"provider": {"name": "kaito", "selectedReason": "explicit provider selection"}}
    decision, _ = run(md({"engine": {"type": "vllm"}, "provider": {"name": "vllm"}}, status))
    assert condition(decision.status, "ProviderSelected") == ("False", "ProviderChangeNotSupported")
    assert decision.status["phase"] == "Failed"
    assert decision.error_type == "provider_change"


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        pytest.param(
            [], "no providers registered (InferenceProviderConfig resources not found)", id="none registered"
        ),
        pytest.param(
            [ready(b, False) for _, b in manifests("config/providers")],
            "no healthy providers",
            id="none ready",
        ),
    ],
)
def test_selection_failure_keeps_the_phase_pending(
    configs: list[InferenceProviderConfig], message: str
) -> None:
    decision, _ = run(md({"engine": {"type": "vllm"}}), configs=configs)
    assert decision.status["phase"] == "Pending"
    assert message in decision.status["message"]
    assert condition(decision.status, "ProviderSelected") == ("False", "SelectionFailed")


def test_disabled_selector_without_provider_reports_no_provider() -> None:
    decision, _ = run(md({"engine": {"type": "vllm"}}), selector_enabled=False)
    assert condition(decision.status, "ProviderSelected") == ("False", "NoProvider")
