"""Builders for raw ModelDeployment bodies and typed InferenceProviderConfigs used by the tests.

`md(engine__type="vllm", resources__gpu__count=1)` sets `spec.engine.type` and
`spec.resources.gpu.count` on a minimal valid body; `DELETE` removes a key.
"""

from __future__ import annotations

import copy
from typing import Any

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.validation.result import ErrorKind, FieldError, Verdict

DELETE = object()
BASE_SPEC: dict[str, Any] = {"model": {"id": "Qwen/Qwen3-0.6B"}}


def md(
    name: str = "qwen",
    annotations: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A raw body: the minimal spec with `fields` (double-underscore paths) applied."""
    spec = copy.deepcopy(BASE_SPEC)
    for dotted, value in fields.items():
        _set(spec, dotted.split("__"), value)
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = annotations
    body: dict[str, Any] = {"apiVersion": "airunway.ai/v1alpha1", "kind": "ModelDeployment"}
    body |= {"metadata": metadata, "spec": spec}
    if status is not None:
        body["status"] = status
    return body


def _set(target: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    if value is DELETE:
        target.pop(keys[-1], None)
    else:
        target[keys[-1]] = value


def engine(
    name: str,
    modes: tuple[str, ...] = ("aggregated",),
    cpu: bool | None = False,
    gpu: bool | None = True,
) -> dict[str, Any]:
    """One engine capability entry."""
    entry: dict[str, Any] = {"name": name, "servingModes": list(modes)}
    if cpu is not None:
        entry["cpuSupport"] = cpu
    if gpu is not None:
        entry["gpuSupport"] = gpu
    return entry


def ipc(name: str, *engines: dict[str, Any], capabilities: bool = True) -> InferenceProviderConfig:
    """A typed InferenceProviderConfig named `name` offering `engines`."""
    spec: dict[str, Any] = {"capabilities": {"engines": list(engines)}} if capabilities else {}
    return InferenceProviderConfig.parse({"metadata": {"name": name}, "spec": spec})


def errors_at(verdict: Verdict, path: str) -> list[FieldError]:
    """The errors of `verdict` at `path`; fails listing every error when there is none."""
    matches = [e for e in verdict.errors if e.path == path]
    assert matches, f"expected an error at {path}, got: {verdict.message() or 'none'}"
    return matches


def assert_rejected(verdict: Verdict, path: str, kind: ErrorKind, *words: str) -> None:
    """`verdict` holds an error at `path` of `kind` whose message has every word (and no other
    error at that path unless it is a different rule's)."""
    candidates = errors_at(verdict, path)
    matching = [e for e in candidates if e.kind is kind and all(w in e.message for w in words)]
    assert len(matching) == 1, f"no single {kind} error at {path} mentioning {words}: {verdict.message()}"
