"""Effective values: what upstream's mutating webhook (SPEC-core §2.2) would have set."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.constants import AccessMode, ServingMode
from airunway_operator.api.modeldeployment import ModelDeploymentSpec
from airunway_operator.sdk import effective as defaults
from tests.unit.validation.builders import DELETE, md


def effective(name: str = "qwen", **fields: Any) -> ModelDeploymentSpec:
    spec = ModelDeploymentSpec.model_validate(md(**fields)["spec"])
    return defaults.effective_spec(spec, name)


@pytest.mark.parametrize(
    ("fields", "count"),
    [
        pytest.param({"engine__type": "vllm"}, 1, id="an explicit engine gets one GPU"),
        pytest.param({"engine__type": "llamacpp"}, None, id="llamacpp gets no GPU default"),
        pytest.param({}, None, id="an automatic engine gets no GPU default"),
        pytest.param({"engine__type": "vllm", "image": "x"}, None, id="a legacy image suppresses it"),
        pytest.param({"engine__type": "vllm", "engine__image": "x"}, 1, id="an engine image does not"),
        pytest.param({"engine__type": "vllm", "resources__cpu": "2"}, None, id="explicit resources are kept"),
        pytest.param({"engine__type": "vllm", "resources__gpu__count": 0}, 0, id="an explicit zero is kept"),
        pytest.param(
            {"engine__type": "sglang", "serving__mode": "disaggregated"},
            None,
            id="disaggregated gets no default",
        ),
    ],
)
def test_gpu_default(fields: dict[str, Any], count: int | None):
    resources = effective(**fields).resources
    gpu = resources.gpu if resources is not None else None
    assert (gpu.count if gpu is not None else None) == count


def test_mode_and_scaling_defaults():
    spec = effective()
    assert spec.serving is not None
    assert spec.serving.mode is ServingMode.AGGREGATED
    assert spec.scaling is not None
    assert spec.scaling.replicas == 1


def test_an_explicit_zero_replicas_is_kept():
    spec = effective(scaling__replicas=0)
    assert spec.scaling is not None
    assert spec.scaling.replicas == 0


def test_disaggregated_mode_gets_no_scaling():
    assert effective(serving__mode="disaggregated").scaling is None


def test_empty_gpu_types_get_the_default():
    spec = effective(resources__gpu={"count": 1, "type": ""}, scaling__decode={"gpu": {"type": ""}})
    resources, scaling = spec.resources, spec.scaling
    assert resources is not None
    assert resources.gpu is not None
    assert resources.gpu.type == "nvidia.com/gpu"
    assert scaling is not None
    assert scaling.decode is not None
    assert scaling.decode.gpu is not None
    assert scaling.decode.gpu.type == "nvidia.com/gpu"


def test_volume_defaults():
    spec = effective(
        model__storage__volumes=[
            {"name": "mc", "purpose": "modelCache", "size": "1Gi"},
            {"name": "cc", "purpose": "compilationCache", "claimName": "cc", "mountPath": ""},
            {"name": "x", "claimName": "x"},
        ]
    )
    assert spec.model.storage is not None
    assert spec.model.storage.volumes is not None
    managed, compiled, custom = spec.model.storage.volumes
    assert (managed.mount_path, managed.claim_name, managed.access_mode) == (
        "/model-cache",
        "qwen-mc",
        AccessMode.READ_WRITE_MANY,
    )
    assert (compiled.mount_path, compiled.claim_name, compiled.access_mode) == (
        "/compilation-cache",
        "cc",
        None,
    )
    assert (custom.mount_path, custom.purpose.value) == (None, "custom")


def test_effective_spec_leaves_the_input_alone():
    spec = ModelDeploymentSpec.model_validate(md(engine__type="vllm", model__id=DELETE)["spec"])
    defaults.effective_spec(spec, "qwen")
    assert spec.resources is None
    assert spec.serving is None
