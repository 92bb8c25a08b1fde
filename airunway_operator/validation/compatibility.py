"""Can the named provider run this engine in this mode on this hardware? (SPEC-core §2.10)

Shared by admission (with only the named provider's config) and, later, by the reconciler (with
the full list of configs, for the "is any provider CPU-capable" check). Readiness of a config is
ignored throughout, as upstream ignores it. Returns every problem; the reconciler reports only
the first, as upstream does. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from airunway_operator.api.constants import EngineType, ServingMode
from airunway_operator.api.providerconfig import EngineCapability, InferenceProviderConfig
from airunway_operator.validation import paths
from airunway_operator.validation.result import ErrorKind, FieldError, shown


def check(
    *,
    provider: str | None,
    config: InferenceProviderConfig | None,
    configs: Sequence[InferenceProviderConfig] = (),
    engine: EngineType | None,
    mode: ServingMode,
    gpu_count: int,
) -> list[FieldError]:
    """Problems of running `engine` in `mode` with `gpu_count` GPUs per replica.

    `provider` is `spec.provider.name` only (never the provider recorded in status) and `config`
    its InferenceProviderConfig when it exists. Without a provider name, `configs` (all known
    configs) decide whether a CPU-only deployment of the engine is possible at all.
    """
    if engine is None:
        return []
    if provider:
        return _check_named(provider, config, engine, mode, gpu_count)
    if configs and _needs_cpu_check(mode, gpu_count) and not any(_runs_on_cpu(c, engine) for c in configs):
        message = (
            f"spec.resources.gpu.count is 0, but engine {engine.value!r} requires GPU: no registered "
            "provider runs it without one; set spec.resources.gpu.count > 0"
        )
        return [FieldError(paths.RESOURCES_GPU_COUNT, ErrorKind.INVALID, message)]
    return []


def engines_of(config: InferenceProviderConfig | None) -> tuple[EngineCapability, ...] | None:
    """The engine capabilities of `config`, or None when it declares no capabilities at all."""
    if config is None or config.spec is None or config.spec.capabilities is None:
        return None
    return config.spec.capabilities.engines or ()


def _check_named(
    provider: str,
    config: InferenceProviderConfig | None,
    engine: EngineType,
    mode: ServingMode,
    gpu_count: int,
) -> list[FieldError]:
    engines = engines_of(config)
    if engines is None:
        return []
    capability = next((c for c in engines if c.name == engine), None)
    if capability is None:
        return [_unsupported_engine(provider, engine, engines)]
    errors = []
    if mode not in (capability.serving_modes or ()):
        errors.append(_unsupported_mode(provider, engine, mode, capability))
    if _needs_cpu_check(mode, gpu_count) and not capability.cpu_support:
        message = (
            f"spec.resources.gpu.count is 0, but engine {engine.value!r} on provider {shown(provider)} "
            "requires GPU; set spec.resources.gpu.count > 0"
        )
        errors.append(FieldError(paths.RESOURCES_GPU_COUNT, ErrorKind.INVALID, message))
    return errors


def _needs_cpu_check(mode: ServingMode, gpu_count: int) -> bool:
    return mode is ServingMode.AGGREGATED and gpu_count == 0


def _runs_on_cpu(config: InferenceProviderConfig, engine: EngineType) -> bool:
    return any(c.name == engine and c.cpu_support for c in engines_of(config) or ())


def _unsupported_engine(provider: str, engine: EngineType, engines: Sequence[EngineCapability]) -> FieldError:
    offered = ", ".join(c.name.value for c in engines)
    fix = f"choose one of {offered}" if offered else "choose another provider"
    message = f"spec.engine.type {engine.value!r} is not supported by provider {shown(provider)}; {fix}"
    return FieldError(paths.ENGINE_TYPE, ErrorKind.INVALID, message)


def _unsupported_mode(
    provider: str, engine: EngineType, mode: ServingMode, capability: EngineCapability
) -> FieldError:
    offered = ", ".join(m.value for m in capability.serving_modes or ())
    fix = f"use {offered}" if offered else "choose another provider or engine"
    message = (
        f"spec.serving.mode {mode.value!r} is not supported by provider {shown(provider)} "
        f"for engine {engine.value!r}; {fix}"
    )
    return FieldError(paths.SERVING_MODE, ErrorKind.INVALID, message)
