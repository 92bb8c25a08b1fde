"""Builders for selection tests: typed deployments, provider configs and the shipped providers.

`deployment(engine__type="vllm", resources__gpu__count=2)` is a typed ModelDeployment whose spec
is the minimal one with those double-underscore paths set (see tests/unit/validation/builders.py);
`ipc("p", engine("vllm"), rules=[("true", 10)], ready=False)` a typed InferenceProviderConfig.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from tests.unit.validation.builders import engine, md

__all__ = ["deployment", "engine", "ipc", "shipped", "shipped_bodies"]

PROVIDERS_DIR = Path(__file__).resolve().parents[3] / "config" / "providers"


def deployment(name: str = "qwen", status: dict[str, Any] | None = None, **fields: Any) -> ModelDeployment:
    """A typed ModelDeployment: the minimal spec with `fields` applied."""
    return ModelDeployment.parse(md(name, status=status, **fields))


def ipc(
    name: str,
    *engines: dict[str, Any],
    rules: list[tuple[str, int]] | tuple[tuple[str, int], ...] = (),
    ready: bool | None = True,
    capabilities: bool = True,
) -> InferenceProviderConfig:
    """A typed InferenceProviderConfig offering `engines`, ranked by `rules` (condition, priority)."""
    spec: dict[str, Any] = {"capabilities": {"engines": list(engines)}} if capabilities else {}
    if rules:
        spec["selectionRules"] = [{"condition": text, "priority": priority} for text, priority in rules]
    body: dict[str, Any] = {"metadata": {"name": name}, "spec": spec}
    if ready is not None:
        body["status"] = {"ready": ready}
    return InferenceProviderConfig.parse(body)


@cache
def shipped_bodies() -> tuple[dict[str, Any], ...]:
    """The raw InferenceProviderConfigs of config/providers, without status."""
    documents = (yaml.safe_load(path.read_text()) for path in sorted(PROVIDERS_DIR.glob("*.yaml")))
    return tuple(doc for doc in documents if doc.get("kind") == "InferenceProviderConfig")


def shipped(ready: bool = True, **readiness: bool) -> tuple[InferenceProviderConfig, ...]:
    """The five shipped providers, all `ready` unless overridden per name (`shipped(kaito=False)`)."""
    return tuple(
        InferenceProviderConfig.parse(
            body | {"status": {"ready": readiness.get(body["metadata"]["name"], ready)}}
        )
        for body in shipped_bodies()
    )
