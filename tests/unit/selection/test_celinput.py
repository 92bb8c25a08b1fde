"""The CEL value of `spec` is what upstream's Go JSON round trip of the defaulted spec gives
(SPEC-core §4.3): omitempty zeros absent, pointer zeros kept, doubles, canonical quantities,
raw overrides, the webhook's defaults and the resolved-engine overlay."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.constants import EngineType
from airunway_operator.selection import celinput, quantities
from tests.unit.selection.builders import deployment

MISSING = object()


def cel_value(resolved: EngineType | None = None, **fields: Any) -> dict[str, Any]:
    return celinput.build(deployment(**fields).spec, "qwen", resolved)


def at(value: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(value, list):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return MISSING
    return value


def test_a_minimal_spec_looks_like_upstreams_defaulted_object():
    assert cel_value() == {
        "model": {"id": "Qwen/Qwen3-0.6B", "source": "huggingface"},
        "engine": {},
        "serving": {"mode": "aggregated"},
        "scaling": {"replicas": 1.0},
    }


def test_an_explicit_engine_gets_the_webhook_gpu_default():
    assert cel_value(engine__type="vllm") == {
        "model": {"id": "Qwen/Qwen3-0.6B", "source": "huggingface"},
        "engine": {"type": "vllm", "enablePrefixCaching": True},
        "serving": {"mode": "aggregated"},
        "scaling": {"replicas": 1.0},
        "resources": {"gpu": {"count": 1.0, "type": "nvidia.com/gpu"}},
    }


@pytest.mark.parametrize(
    ("fields", "path", "expected"),
    [
        pytest.param(
            {"resources__gpu__count": 0},
            "resources.gpu",
            {"type": "nvidia.com/gpu"},
            id="GPU count 0 is omitted",
        ),
        pytest.param({"scaling__replicas": 0}, "scaling", {}, id="replicas 0 is omitted"),
        pytest.param({"scaling__replicas": 3}, "scaling.replicas", 3.0, id="numbers are doubles"),
        pytest.param(
            {"engine__enforceEager": False},
            "engine",
            {"enablePrefixCaching": True},
            id="false flags are omitted",
        ),
        pytest.param(
            {"engine__enablePrefixCaching": False}, "engine", {}, id="prefix caching false is omitted"
        ),
        pytest.param(
            {"engine__trustRemoteCode": True}, "engine.trustRemoteCode", True, id="true flags are kept"
        ),
        pytest.param(
            {"engine__contextLength": 0},
            "engine.contextLength",
            0.0,
            id="a zero context length is kept (pointer)",
        ),
        pytest.param(
            {"gateway__enabled": False},
            "gateway",
            {"enabled": False},
            id="gateway.enabled false is kept (pointer)",
        ),
        pytest.param({"gateway__modelName": ""}, "gateway", {}, id="an empty gateway stays an empty object"),
        pytest.param(
            {"resources": {}}, "resources", {}, id="an empty resources object stays an empty object"
        ),
        pytest.param({"image": ""}, "image", MISSING, id="empty strings are omitted"),
        pytest.param({"nodeSelector": {}}, "nodeSelector", MISSING, id="empty maps are omitted"),
        pytest.param({"env": []}, "env", MISSING, id="empty lists are omitted"),
        pytest.param(
            {"engine__args": {"seed": "1"}},
            "engine.args",
            {"seed": "1"},
            id="string maps are kept as written",
        ),
        pytest.param(
            {"engine__extraArgs": ["--x"]}, "engine.extraArgs", ["--x"], id="string lists are kept as written"
        ),
        pytest.param(
            {"model__servedName": ""},
            "model",
            {"id": "Qwen/Qwen3-0.6B", "source": "huggingface"},
            id="model fields omit zeros too",
        ),
        pytest.param(
            {"serving__mode": "disaggregated"}, "serving.mode", "disaggregated", id="the serving mode is kept"
        ),
        pytest.param(
            {"serving": {}},
            "serving.mode",
            "aggregated",
            id="an empty serving object has the CRD default mode",
        ),
        pytest.param(
            {"provider__overrides": {"a": 1, "b": [2, None, {"c": False}], "d": {}}},
            "provider.overrides",
            {"a": 1.0, "b": [2.0, None, {"c": False}], "d": {}},
            id="overrides are raw JSON with doubles, nulls, false and empty objects",
        ),
        pytest.param(
            {"provider__overrides": {}},
            "provider",
            {"overrides": {}},
            id="empty overrides are kept (pointer)",
        ),
        pytest.param({"provider__name": ""}, "provider", {}, id="an empty provider name is omitted"),
        pytest.param(
            {"env": [{"name": "A", "value": ""}]},
            "env",
            [{"name": "A"}],
            id="an env var keeps its name and omits an empty value",
        ),
        pytest.param(
            {"env": [{"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}]},
            "env.0.valueFrom.resourceFieldRef",
            {"resource": "limits.cpu", "divisor": "0"},
            id="an unset divisor is the zero quantity",
        ),
        pytest.param(
            {
                "env": [
                    {
                        "name": "A",
                        "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1024Ki"}},
                    }
                ]
            },
            "env.0.valueFrom.resourceFieldRef.divisor",
            "1Mi",
            id="a divisor is canonical",
        ),
        pytest.param(
            {
                "env": [
                    {"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": False}}}
                ]
            },
            "env.0.valueFrom.secretKeyRef",
            {"name": "s", "key": "k", "optional": False},
            id="an explicit optional false is kept (pointer)",
        ),
        pytest.param(
            {"tolerations": [{"key": "k", "operator": "", "tolerationSeconds": 0}]},
            "tolerations",
            [{"key": "k", "tolerationSeconds": 0.0}],
            id="tolerations omit empty strings and keep zero seconds",
        ),
        pytest.param(
            {"podTemplate": {"metadata": {"labels": {}}}},
            "podTemplate",
            {"metadata": {}},
            id="nested structs stay, empty maps go",
        ),
    ],
)
def test_go_json_shape(fields: dict[str, Any], path: str, expected: Any):
    assert at(cel_value(**fields), path) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"engine__type": "sglang"}, 1.0, id="an explicit engine gets one GPU"),
        pytest.param({"engine__type": "llamacpp"}, MISSING, id="llamacpp gets no GPU default"),
        pytest.param({}, MISSING, id="an auto-selected engine gets no GPU default"),
        pytest.param(
            {"engine__type": "vllm", "image": "repo/vllm:1"}, MISSING, id="the legacy image suppresses it"
        ),
        pytest.param(
            {"engine__type": "vllm", "engine__image": "repo/vllm:1"},
            1.0,
            id="engine.image does not suppress it",
        ),
        pytest.param(
            {"engine__type": "vllm", "resources__cpu": "4"}, MISSING, id="explicit resources suppress it"
        ),
        pytest.param(
            {"engine__type": "vllm", "serving__mode": "disaggregated"},
            MISSING,
            id="disaggregated mode gets no GPU default",
        ),
    ],
)
def test_the_webhook_gpu_default(fields: dict[str, Any], expected: Any):
    assert at(cel_value(**fields), "resources.gpu.count") == expected


def test_webhook_defaults_fill_gpu_types_and_volumes():
    value = cel_value(
        resources__gpu={"count": 2, "type": ""},
        scaling__prefill={"gpu": {"count": 1, "type": ""}},
        model__storage={"volumes": [{"name": "cache", "purpose": "modelCache", "size": "1.5Gi"}]},
    )
    assert at(value, "resources.gpu") == {"count": 2.0, "type": "nvidia.com/gpu"}
    assert at(value, "scaling.prefill") == {"replicas": 1.0, "gpu": {"count": 1.0, "type": "nvidia.com/gpu"}}
    assert at(value, "model.storage.volumes") == [
        {
            "name": "cache",
            "claimName": "qwen-cache",
            "mountPath": "/model-cache",
            "purpose": "modelCache",
            "size": "1536Mi",
            "accessMode": "ReadWriteMany",
        }
    ]


def test_a_volume_keeps_an_empty_storage_class_and_omits_read_only_false():
    value = cel_value(
        model__storage={"volumes": [{"name": "d", "size": 10, "storageClassName": "", "readOnly": False}]}
    )
    assert at(value, "model.storage.volumes.0.storageClassName") == ""
    assert at(value, "model.storage.volumes.0.readOnly") is MISSING
    assert at(value, "model.storage.volumes.0.size") == "10"


def test_disaggregated_mode_gets_no_scaling_default():
    assert at(cel_value(serving__mode="disaggregated"), "scaling") is MISSING


@pytest.mark.parametrize(
    ("fields", "resolved", "expected"),
    [
        pytest.param(
            {}, EngineType.LLAMACPP, "llamacpp", id="the resolved engine is overlaid when the spec has none"
        ),
        pytest.param(
            {"engine__image": "x"},
            EngineType.VLLM,
            "vllm",
            id="the overlay also fills an existing engine object",
        ),
        pytest.param(
            {"engine__type": "vllm"}, EngineType.SGLANG, "vllm", id="an explicit engine is never overwritten"
        ),
        pytest.param({}, None, MISSING, id="without a resolved engine nothing is overlaid"),
    ],
)
def test_resolved_engine_overlay(fields: dict[str, Any], resolved: EngineType | None, expected: Any):
    assert at(cel_value(resolved, **fields), "engine.type") == expected


def test_the_overlay_does_not_touch_the_spec():
    md = deployment()
    celinput.build(md.spec, "qwen", EngineType.VLLM)
    assert md.spec.engine is None


def test_an_unrepresentable_number_is_a_conversion_error():
    with pytest.raises(celinput.CelInputError, match="overflows float64"):
        cel_value(provider__overrides={"huge": 10**400})


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        pytest.param("1.5Gi", "1536Mi", id="a fractional binary quantity moves to a smaller unit"),
        pytest.param("100Gi", "100Gi", id="a whole binary quantity stays"),
        pytest.param("1024Mi", "1Gi", id="a binary quantity moves to the largest whole unit"),
        pytest.param("0.5Ki", "512", id="a binary quantity under 1024 prints in decimal"),
        pytest.param("1000M", "1G", id="a decimal quantity moves to the largest whole unit"),
        pytest.param("0.5", "500m", id="a fraction prints in milli"),
        pytest.param("2048", "2048", id="a plain number stays"),
        pytest.param(10, "10", id="an integer quantity becomes text"),
        pytest.param("1e3", "1e3", id="an exponent stays an exponent"),
        pytest.param("1.5e3", "1500", id="an exponent with a fraction folds into the mantissa"),
        pytest.param("0Gi", "0", id="zero is 0"),
        pytest.param("1.0000000001", "1000000001n", id="values round up to a nano"),
        pytest.param("16Ei", "9223372036854775807", id="binary values are capped at int64"),
        pytest.param("-1Gi", "-1Gi", id="negative values keep their sign"),
    ],
)
def test_canonical_quantities(written: str | int, canonical: str):
    assert quantities.canonical_text(written) == canonical
