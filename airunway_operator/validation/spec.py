"""Rules over single spec fields and their combinations (SPEC-core §2.3 rows 2-4, 9, 11-14).

Each check takes the effective spec (see `defaults`) and returns every FieldError it finds;
none reads the cluster. Storage, overrides, quantities and provider capabilities have their own
modules. Pure.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from airunway_operator.api.constants import EngineType, ModelSource, ServingMode
from airunway_operator.api.modeldeployment import ComponentScalingSpec, ModelDeploymentSpec
from airunway_operator.sdk import effective as defaults
from airunway_operator.validation import paths
from airunway_operator.validation.result import ErrorKind, FieldError, shown

if TYPE_CHECKING:
    from providers.base import Provider


@functools.cache
def _provider_plugins() -> Mapping[str, Provider]:
    """Built-in and entry-point provider plug-ins by name, loaded once (a broken plug-in: built-ins)."""
    # Imported on first use: the providers import the sdk, which imports this module.
    import providers

    try:
        found = providers.load_providers()
    except Exception:  # a broken third-party plug-in must not break validation
        found = providers.REGISTRY
    return {plugin.name: plugin for plugin in found}


def provider_plugin(name: str | None) -> Provider | None:
    """The installed provider plug-in called `name` (`spec.provider.name`), if there is one."""
    return _provider_plugins().get(name) if name else None


def is_gpu_optional(annotations: Mapping[str, str], spec: ModelDeploymentSpec) -> bool:
    """The named provider serves this deployment without GPUs: the object carries the annotation
    the provider declares for that (`gpu_optional_annotation`; Dynamo's mocker, SPEC-core §3.12)."""
    plugin = provider_plugin(spec.provider.name if spec.provider is not None else None)
    marker = plugin.gpu_optional_annotation if plugin is not None else None
    return marker is not None and annotations.get(marker[0]) == marker[1]


is_dynamo_mocker = is_gpu_optional
"""The name callers (and the sdk) know it by: Dynamo's mocker is the built-in case."""


def check_image(spec: ModelDeploymentSpec) -> list[FieldError]:
    """Rule 2: the legacy `spec.image` and `spec.engine.image` must agree when both are set."""
    engine_image = spec.engine.image if spec.engine is not None else None
    if not spec.image or not engine_image or spec.image == engine_image:
        return []
    message = (
        f"spec.engine.image {shown(engine_image)} conflicts with the legacy spec.image {shown(spec.image)}; "
        "remove spec.image or make both equal"
    )
    return [FieldError(paths.ENGINE_IMAGE, ErrorKind.INVALID, message)]


def check_args(spec: ModelDeploymentSpec) -> list[FieldError]:
    """Rule 3: a `--flag` in `engine.extraArgs` must not also be a key of `engine.args`."""
    if spec.engine is None or not spec.engine.args or not spec.engine.extra_args:
        return []
    flags = dict.fromkeys(_flag_name(token) for token in spec.engine.extra_args if token.startswith("--"))
    return [
        FieldError(
            paths.EXTRA_ARGS,
            ErrorKind.INVALID,
            f"spec.engine.extraArgs sets the flag {shown('--' + flag)}, which spec.engine.args also sets "
            f"(key {shown(flag)}); keep it in one place",
        )
        for flag in flags
        if flag in spec.engine.args
    ]


def _flag_name(token: str) -> str:
    """The bare flag name of `--name=value` or `--name`, trimmed."""
    return token[2:].split("=", 1)[0].strip()


def check_model_id(spec: ModelDeploymentSpec) -> list[FieldError]:
    """Rule 4: a Hugging Face model needs `model.id`."""
    if spec.model.source is not ModelSource.HUGGINGFACE or spec.model.id:
        return []
    message = "spec.model.id is required when spec.model.source is huggingface; set the repository id"
    return [FieldError(paths.MODEL_ID, ErrorKind.REQUIRED, message)]


def check_mocker_engine(spec: ModelDeploymentSpec, mocker: bool) -> list[FieldError]:
    """Rule 9: the Dynamo mocker simulates vLLM only."""
    engine = spec.engine.type if spec.engine is not None else None
    if not mocker or engine is None or engine is EngineType.VLLM:
        return []
    message = (
        f"spec.engine.type {engine.value!r} is not supported by the Dynamo mocker backend; "
        "use vllm or remove the airunway.ai/dynamo-test-backend annotation"
    )
    return [FieldError(paths.ENGINE_TYPE, ErrorKind.INVALID, message)]


def check_disaggregated(spec: ModelDeploymentSpec, mocker: bool) -> list[FieldError]:
    """Rules 11-14: disaggregated serving sizes prefill and decode pools, not `spec.resources`."""
    if defaults.serving_mode(spec) is not ServingMode.DISAGGREGATED:
        return []
    errors: list[FieldError] = []
    gpu = spec.resources.gpu if spec.resources is not None else None
    if gpu is not None and gpu.count > 0:
        message = (
            "spec.resources.gpu cannot be used in disaggregated mode; "
            "set GPUs in spec.scaling.prefill.gpu and spec.scaling.decode.gpu instead"
        )
        errors.append(FieldError(paths.RESOURCES_GPU, ErrorKind.INVALID, message))
    if spec.scaling is None:
        message = (
            "spec.scaling is required in disaggregated mode; set spec.scaling.prefill and spec.scaling.decode"
        )
        return [*errors, FieldError(paths.SCALING, ErrorKind.REQUIRED, message)]
    for role, component in (("prefill", spec.scaling.prefill), ("decode", spec.scaling.decode)):
        errors += _check_component(role, component, mocker)
    return errors


def _check_component(role: str, component: ComponentScalingSpec | None, mocker: bool) -> list[FieldError]:
    path = f"{paths.SCALING}.{role}"
    if component is None:
        message = f"{path} is required in disaggregated mode; add it with replicas and gpu.count"
        return [FieldError(path, ErrorKind.REQUIRED, message)]
    if mocker or (component.gpu is not None and component.gpu.count > 0):
        return []
    message = f"{path}.gpu.count must be greater than 0 in disaggregated mode; set it"
    return [FieldError(f"{path}.gpu.count", ErrorKind.REQUIRED, message)]
