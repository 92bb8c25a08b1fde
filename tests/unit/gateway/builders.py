"""Builders for the gateway unit tests: ModelDeployments, provider configs, Gateways."""

from __future__ import annotations

from typing import Any

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"


def md(
    name: str = "m", namespace: str = "ns", *, annotations: dict[str, str] | None = None, **spec: Any
) -> ModelDeployment:
    body: dict[str, Any] = {
        "metadata": {"name": name, "namespace": namespace, "uid": "uid-1", "generation": 3},
        "spec": {"model": {"id": MODEL}, "engine": {"type": "vllm"}, "provider": {"name": "p"}, **spec},
    }
    if annotations:
        body["metadata"]["annotations"] = annotations
    return ModelDeployment.parse(body)


def ipc(name: str = "p", engine: str = "vllm", **gateway: Any) -> InferenceProviderConfig:
    capability: dict[str, Any] = {"name": engine, "servingModes": ["aggregated"]}
    if gateway:
        capability["gateway"] = gateway
    return InferenceProviderConfig.parse(
        {"metadata": {"name": name}, "spec": {"capabilities": {"engines": [capability]}}}
    )


def gateway(
    name: str,
    namespace: str,
    *,
    labelled: bool = False,
    listeners: list[Any] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labelled:
        meta["labels"] = {"airunway.ai/inference-gateway": "true"}
    if annotations:
        meta["annotations"] = annotations
    return {
        "metadata": meta,
        "spec": {"listeners": listeners or [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    }
