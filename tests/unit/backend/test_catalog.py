from __future__ import annotations

import pytest

from airunway_backend import catalog
from airunway_backend.catalog import Model


def test_the_curated_catalog_has_a_dozen_complete_entries() -> None:
    models = catalog.curated()
    assert len(models) >= 12
    assert len({m.id for m in models}) == len(models)
    for m in models:
        assert all([m.name, m.size, m.task, m.contextLength, m.supportedEngines, m.minGpuMemory]), m.id
        assert set(m.supportedEngines) <= {"vllm", "sglang", "trtllm", "llamacpp"}
        assert m.parameterCount
        assert m.estimatedGpuMemoryGb
        assert m.source == "catalog"
    qwen = next(m for m in models if m.id == "Qwen/Qwen2.5-0.5B-Instruct")
    assert (qwen.parameterCount, qwen.estimatedGpuMemoryGb, qwen.gated) == (500_000_000, 1.2, False)
    assert next(m for m in models if m.id.startswith("meta-llama/")).gated


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("7B", 7_000_000_000),
        ("0.5B", 500_000_000),
        ("350M", 350_000_000),
        ("Qwen/Qwen2.5-7B-Instruct", 7_000_000_000),
        ("org/model-v0.3", None),
        (None, None),
    ],
)
def test_parameter_count(text: str | None, count: int | None) -> None:
    assert catalog.parameter_count(text) == count


def test_custom_entries_are_completed_and_replace_a_catalog_model_with_their_id() -> None:
    custom = [Model(id="Qwen/Qwen2.5-0.5B-Instruct", description="mine"), Model(id="me/Tiny-3B")]
    merged = catalog.merged(custom)
    by_id = {m.id: m for m in merged}
    assert len(merged) == len(catalog.curated()) + 1
    assert by_id["Qwen/Qwen2.5-0.5B-Instruct"].source == "custom"
    assert by_id["Qwen/Qwen2.5-0.5B-Instruct"].description == "mine"
    assert (by_id["me/Tiny-3B"].name, by_id["me/Tiny-3B"].estimatedGpuMemoryGb) == ("Tiny-3B", 7.2)


def test_matching_needs_every_word() -> None:
    ids = [m.id for m in catalog.matching(list(catalog.curated()), "llama instruct 8b")]
    assert ids == ["meta-llama/Llama-3.1-8B-Instruct"]


def test_a_hub_entry_becomes_a_model() -> None:
    model = catalog.from_hub(
        {
            "id": "org/Some-Model-GGUF",
            "pipeline_tag": "text-generation",
            "tags": ["gguf"],
            "gated": "auto",
            "downloads": 5,
            "likes": 1,
            "safetensors": {"total": 1_500_000_000},
        }
    )
    assert model is not None
    assert (model.source, model.name, model.size, model.parameterCount, model.gated) == (
        "huggingface",
        "Some-Model-GGUF",
        "1.5B",
        1_500_000_000,
        True,
    )
    assert model.supportedEngines == ["llamacpp"]
    assert model.estimatedGpuMemoryGb == 3.6
    assert catalog.from_hub({"likes": 3}) is None
