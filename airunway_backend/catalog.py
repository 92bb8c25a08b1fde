"""Models offered for deployment: the curated catalog shipped with the backend, custom entries from
the settings, and Hugging Face search results, all in one shape (pure, apart from reading the
packaged catalog file)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "models.yaml"
Source = Literal["catalog", "custom", "huggingface"]
#: A weights-only rule of thumb: 2 bytes per parameter (16-bit) plus 20% for cache and activations.
BYTES_PER_PARAMETER = 2.0
OVERHEAD = 1.2
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([BM])(?![a-zA-Z])", re.I)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    name: str = ""
    description: str = ""
    size: str | None = None
    task: str | None = "text-generation"
    contextLength: int | None = Field(default=None, ge=1)  # noqa: N815 (the API's field name)
    supportedEngines: list[str] = Field(default_factory=list)  # noqa: N815
    minGpuMemory: str | None = None  # noqa: N815
    gated: bool = False
    estimatedGpuMemoryGb: float | None = None  # noqa: N815
    parameterCount: int | None = None  # noqa: N815
    source: Source = "catalog"


def parameter_count(text: str | None) -> int | None:
    """Parameters named by a size ("7B", "0.5B", "350M") or a model name ("Qwen2.5-7B-Instruct")."""
    if not text:
        return None
    match = _SIZE.search(text)
    if match is None:
        return None
    scale = 1e9 if match.group(2).upper() == "B" else 1e6
    return round(float(match.group(1)) * scale)


def estimated_gpu_memory_gb(parameters: int | None) -> float | None:
    if not parameters:
        return None
    return round(parameters / 1e9 * BYTES_PER_PARAMETER * OVERHEAD, 1)


def completed(model: Model, source: Source) -> Model:
    """The entry with its name, parameter count and memory estimate filled in when missing."""
    parameters = model.parameterCount or parameter_count(model.size) or parameter_count(model.id)
    return model.model_copy(
        update={
            "name": model.name or model.id.rsplit("/", 1)[-1],
            "parameterCount": parameters,
            "estimatedGpuMemoryGb": model.estimatedGpuMemoryGb or estimated_gpu_memory_gb(parameters),
            "source": source,
        }
    )


@functools.cache
def curated() -> tuple[Model, ...]:
    """The catalog shipped in airunway_backend/data/models.yaml."""
    text = CATALOG_FILE.read_text()
    return tuple(completed(Model.model_validate(entry), "catalog") for entry in yaml.safe_load(text))


def merged(custom: list[Model]) -> list[Model]:
    """The catalog plus custom entries; a custom entry with a catalog model's id replaces it."""
    mine = [completed(m, "custom") for m in custom]
    ids = {m.id for m in mine}
    return [m for m in curated() if m.id not in ids] + mine


def matching(models: list[Model], query: str) -> list[Model]:
    words = query.lower().split()
    return [m for m in models if all(w in f"{m.id} {m.name} {m.description}".lower() for w in words)]


def _engines_for(tags: list[str]) -> list[str]:
    if "gguf" in tags:
        return ["llamacpp"]
    return ["vllm", "sglang"]


def from_hub(entry: dict[str, Any]) -> Model | None:
    """A model from one entry of the hub's /api/models answer (None when it has no id)."""
    model_id = entry.get("id") or entry.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        return None
    tags = [str(t) for t in entry.get("tags") or []]
    safetensors = entry.get("safetensors") if isinstance(entry.get("safetensors"), dict) else {}
    total = (safetensors or {}).get("total")
    parameters = int(total) if isinstance(total, int | float) and total > 0 else parameter_count(model_id)
    gated = entry.get("gated")
    return completed(
        Model(
            id=model_id,
            description=f"{entry.get('downloads', 0)} downloads, {entry.get('likes', 0)} likes on the hub",
            size=_size_text(parameters),
            task=entry.get("pipeline_tag") or None,
            supportedEngines=_engines_for(tags),
            gated=gated not in (None, False, "false", ""),
            parameterCount=parameters,
        ),
        "huggingface",
    )


def _size_text(parameters: int | None) -> str | None:
    if not parameters:
        return None
    if parameters >= 1e9:
        return f"{parameters / 1e9:.1f}".rstrip("0").rstrip(".") + "B"
    return f"{parameters / 1e6:.0f}M"
