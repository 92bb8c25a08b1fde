"""Engine resolution (SPEC-core §4.1): explicit, recorded, then the most preferred engine a ready
provider offers for the deployment's hardware and mode; failures with upstream's exact texts."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.selection import engine as engines
from airunway_operator.selection.capabilities import SelectionFailed
from airunway_operator.selection.engine import EngineSelected, EngineSource
from tests.unit.selection.builders import deployment, engine, ipc, shipped

DISAGGREGATED: dict[str, Any] = {
    "serving__mode": "disaggregated",
    "scaling__prefill": {"gpu": {"count": 1}},
    "scaling__decode": {"gpu": {"count": 1}},
}
SGLANG_ONLY = ipc("sg", engine("sglang"))
TRT_ONLY = ipc("trt", engine("trtllm"))
CPU_LLAMA = ipc("cpu", engine("llamacpp", cpu=True, gpu=False))


@pytest.mark.parametrize(
    ("md", "configs", "expected", "reason"),
    [
        pytest.param(
            deployment(),
            shipped(),
            "llamacpp",
            "auto-selected from provider kaito capabilities",
            id="without GPUs only KAITO's CPU llama.cpp fits",
        ),
        pytest.param(
            deployment(resources__gpu__count=1),
            shipped(),
            "vllm",
            "auto-selected from provider dynamo capabilities",
            id="with a GPU vLLM is preferred and Dynamo sorts first",
        ),
        pytest.param(
            deployment(**DISAGGREGATED),
            shipped(),
            "vllm",
            "auto-selected from provider dynamo capabilities",
            id="disaggregated mode needs GPUs and picks vLLM",
        ),
        pytest.param(
            deployment(resources__gpu__count=1),
            shipped(dynamo=False),
            "vllm",
            "auto-selected from provider kaito capabilities",
            id="a not-ready provider offers nothing",
        ),
        pytest.param(
            deployment(resources__gpu__count=1),
            (TRT_ONLY, SGLANG_ONLY),
            "sglang",
            "auto-selected from provider sg capabilities",
            id="sglang is preferred over trtllm",
        ),
        pytest.param(
            deployment(resources__gpu__count=1),
            (TRT_ONLY, CPU_LLAMA),
            "trtllm",
            "auto-selected from provider trt capabilities",
            id="a CPU-only engine is skipped for a GPU deployment",
        ),
        pytest.param(
            deployment(resources__gpu__count=1),
            (ipc("b", engine("vllm")), ipc("a", engine("vllm"))),
            "vllm",
            "auto-selected from provider a capabilities",
            id="the first provider by name is named, whatever the list order",
        ),
        pytest.param(
            deployment(engine__image="repo/vllm:1"),
            (CPU_LLAMA,),
            "llamacpp",
            "auto-selected from provider cpu capabilities",
            id="an engine object without type is auto-selected",
        ),
    ],
)
def test_auto_selection(
    md: ModelDeployment, configs: tuple[InferenceProviderConfig, ...], expected: str, reason: str
):
    assert engines.select_engine(md, configs) == EngineSelected(
        EngineType(expected), reason, EngineSource.AUTO, reason.split()[3]
    )


def test_an_explicit_engine_is_recorded_without_looking_at_providers():
    md = deployment(engine__type="trtllm", status={"engine": {"type": "vllm", "selectedReason": "x"}})
    assert engines.select_engine(md, ()) == EngineSelected(
        EngineType.TRTLLM, "explicit engine selection", EngineSource.EXPLICIT
    )


def test_a_recorded_engine_is_sticky():
    md = deployment(
        status={
            "engine": {"type": "sglang", "selectedReason": "auto-selected from provider dynamo capabilities"}
        }
    )
    assert engines.select_engine(md, shipped()) == EngineSelected(
        EngineType.SGLANG, "auto-selected from provider dynamo capabilities", EngineSource.RECORDED
    )


def test_the_provider_name_does_not_restrict_the_engine():
    md = deployment(provider__name="vllm", resources__gpu__count=1)
    result = engines.select_engine(md, (ipc("vllm", engine("sglang")), ipc("z", engine("vllm"))))
    assert isinstance(result, EngineSelected)
    assert result.engine is EngineType.VLLM


@pytest.mark.parametrize(
    ("md", "configs", "message"),
    [
        pytest.param(
            deployment(),
            (),
            "no providers registered (InferenceProviderConfig resources not found)",
            id="no configs at all",
        ),
        pytest.param(
            deployment(),
            shipped(ready=False),
            "no engines available from registered providers "
            "(hasGPU=false, servingMode=aggregated, advertised=map[])",
            id="no ready provider advertises anything",
        ),
        pytest.param(
            deployment(),
            shipped(kaito=False),
            "no engines available from registered providers (hasGPU=false, servingMode=aggregated, "
            "advertised=map[dynamo:[vllm sglang trtllm] kuberay:[vllm] llmd:[vllm] vllm:[vllm]])",
            id="no ready provider runs anything without a GPU",
        ),
        pytest.param(
            deployment(**DISAGGREGATED),
            (ipc("vllm", engine("vllm")), ipc("bare", capabilities=False), ipc("none")),
            "no engines available from registered providers (hasGPU=true, servingMode=disaggregated, "
            "advertised=map[none:[] vllm:[vllm]])",
            id="no engine supports the serving mode",
        ),
        pytest.param(
            deployment(resources__gpu__count=1),
            (ipc("odd", engine("vllm", modes=())),),
            "no engines available from registered providers (hasGPU=true, servingMode=aggregated, "
            "advertised=map[odd:[vllm]])",
            id="an engine with an empty mode list supports no mode",
        ),
    ],
)
def test_failures(md: ModelDeployment, configs: tuple[InferenceProviderConfig, ...], message: str):
    assert engines.select_engine(md, configs) == SelectionFailed(message)
