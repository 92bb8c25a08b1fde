"""The validation the reconciler repeats for objects that bypassed admission (SPEC-core §2.9).

Upstream re-checks only a subset, in this order, and reports the first problem; the same
validators as the webhook produce it, so the field paths and sentences match. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeploymentSpec
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.sdk import effective as defaults
from airunway_operator.validation import compatibility, paths
from airunway_operator.validation import spec as spec_rules
from airunway_operator.validation.result import ErrorKind, FieldError


def first_problem(
    spec: ModelDeploymentSpec,
    annotations: Mapping[str, str],
    engine: EngineType | None,
    configs: Sequence[InferenceProviderConfig],
) -> FieldError | None:
    """The first rule the spec breaks, or None; `engine` is the resolved engine."""
    mocker = spec_rules.is_dynamo_mocker(annotations, spec)
    provider = spec.provider.name if spec.provider is not None else None
    named = next((c for c in configs if c.metadata.name == provider), None) if provider else None
    gpu = spec.resources.gpu.count if spec.resources is not None and spec.resources.gpu is not None else 0
    if defaults.gpu_default_applies(spec):
        gpu = 1
    checks: tuple[Callable[[], list[FieldError]], ...] = (
        lambda: spec_rules.check_image(spec),
        lambda: spec_rules.check_model_id(spec),
        lambda: _engine_resolved(engine),
        lambda: _mocker_engine(engine, mocker),
        lambda: (
            []
            if mocker
            else compatibility.check(
                provider=provider,
                config=named,
                configs=configs,
                engine=engine,
                mode=defaults.serving_mode(spec),
                gpu_count=gpu,
            )
        ),
        lambda: spec_rules.check_disaggregated(spec, mocker),
    )
    for check in checks:
        problems = check()
        if problems:
            return problems[0]
    return None


def _mocker_engine(engine: EngineType | None, mocker: bool) -> list[FieldError]:
    if not mocker or engine is None or engine is EngineType.VLLM:
        return []
    message = (
        f"spec.engine.type {engine.value!r} is not supported by the Dynamo mocker backend, which only "
        "supports vllm; use vllm or remove the airunway.ai/dynamo-test-backend annotation"
    )
    return [FieldError(paths.ENGINE_TYPE, ErrorKind.INVALID, message)]


def _engine_resolved(engine: EngineType | None) -> list[FieldError]:
    if engine is not None:
        return []
    message = "spec.engine.type must be specified or auto-selected from provider capabilities"
    return [FieldError(paths.ENGINE_TYPE, ErrorKind.REQUIRED, message)]
