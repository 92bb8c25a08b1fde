"""Ceilings on sizes (SPEC-core §2.3 rows 16 and 17): GPUs, replicas, CPU and memory quantities.

A value equal to its ceiling is allowed. Quantities are compared by exact value (`quantity`),
so `4Ti` and `4096Gi` are both at the memory ceiling. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from airunway_operator.api import celrules
from airunway_operator.api.modeldeployment import ComponentScalingSpec, ModelDeploymentSpec
from airunway_operator.validation import paths, quantity
from airunway_operator.validation.result import ErrorKind, FieldError, shown

# The ceilings are API facts, shared with the CRD's own rules (api/celrules.py).
MAX_GPUS: Final = celrules.MAX_GPU_COUNT
MAX_REPLICAS: Final = celrules.MAX_REPLICAS
MAX_CPU: Final = (celrules.MAX_CPU, quantity.parse(celrules.MAX_CPU))
MAX_MEMORY: Final = (celrules.MAX_MEMORY, quantity.parse(celrules.MAX_MEMORY))


def check(spec: ModelDeploymentSpec) -> list[FieldError]:
    """Every count and quantity of `spec` that exceeds its ceiling or does not parse."""
    errors: list[FieldError] = []
    if spec.resources is not None:
        if spec.resources.gpu is not None:
            errors += _check_count(paths.RESOURCES_GPU_COUNT, spec.resources.gpu.count, MAX_GPUS)
        errors += _check_quantity(f"{paths.RESOURCES}.cpu", spec.resources.cpu, MAX_CPU)
        errors += _check_quantity(f"{paths.RESOURCES}.memory", spec.resources.memory, MAX_MEMORY)
    if spec.scaling is not None:
        errors += _check_count(f"{paths.SCALING}.replicas", spec.scaling.replicas, MAX_REPLICAS)
        for role, component in (("prefill", spec.scaling.prefill), ("decode", spec.scaling.decode)):
            errors += _check_component(f"{paths.SCALING}.{role}", component)
    return errors


def _check_component(path: str, component: ComponentScalingSpec | None) -> list[FieldError]:
    if component is None:
        return []
    errors = _check_count(f"{path}.replicas", component.replicas, MAX_REPLICAS)
    if component.gpu is not None:
        errors += _check_count(f"{path}.gpu.count", component.gpu.count, MAX_GPUS)
    return [*errors, *_check_quantity(f"{path}.memory", component.memory, MAX_MEMORY)]


def _check_count(path: str, value: int, ceiling: int) -> list[FieldError]:
    if value <= ceiling:
        return []
    message = f"{path} is {value}, which exceeds the maximum allowed ({ceiling}); lower it"
    return [FieldError(path, ErrorKind.INVALID, message)]


def _check_quantity(path: str, text: str | None, ceiling: tuple[str, Decimal]) -> list[FieldError]:
    if not text:
        return []
    value = quantity.try_parse(text)
    if value is None:
        message = f"{path} {shown(text)} is not a valid resource quantity; write it like 500m, 4 or 16Gi"
        return [FieldError(path, ErrorKind.INVALID, message)]
    if value <= ceiling[1]:
        return []
    message = f"{path} {shown(text)} exceeds the maximum allowed ({ceiling[0]}); lower it"
    return [FieldError(path, ErrorKind.INVALID, message)]
