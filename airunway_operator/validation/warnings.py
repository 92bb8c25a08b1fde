"""Non-fatal admission warnings (SPEC-core §2.6): accepted settings that will not do what they say.

kubectl prints each warning on the client; the object is admitted. The lookup warning of §2.7
lives with the lookup outcome (`provider`). Pure.
"""

from __future__ import annotations

from airunway_operator.api.constants import EngineType, ModelSource, VolumePurpose
from airunway_operator.api.modeldeployment import ModelDeploymentSpec
from airunway_operator.validation import paths


def collect(spec: ModelDeploymentSpec) -> list[str]:
    """Every warning for the effective `spec`, in field order."""
    return [*_model_warnings(spec), *_engine_warnings(spec), *_volume_warnings(spec)]


def _model_warnings(spec: ModelDeploymentSpec) -> list[str]:
    if spec.model.served_name and spec.model.source is ModelSource.CUSTOM:
        return [
            "spec.model.servedName is ignored when spec.model.source is custom; the image decides the name"
        ]
    return []


def _engine_warnings(spec: ModelDeploymentSpec) -> list[str]:
    engine = spec.engine
    if engine is None:
        return []
    warnings = []
    if engine.trust_remote_code:
        warnings.append(
            "spec.engine.trustRemoteCode is true: the engine will execute code shipped with the model "
            "repository; enable it only for repositories you trust"
        )
    if engine.context_length is not None and engine.type is EngineType.TRTLLM:
        warnings.append(
            "spec.engine.contextLength is ignored by trtllm, which fixes the context length when the "
            "engine is built"
        )
    return warnings


def _volume_warnings(spec: ModelDeploymentSpec) -> list[str]:
    storage = spec.model.storage
    warnings = []
    for position, volume in enumerate(storage.volumes or () if storage is not None else ()):
        if not volume.read_only:
            continue
        path = paths.volume(position, "readOnly")
        if volume.purpose is VolumePurpose.COMPILATION_CACHE:
            warnings.append(
                f"{path} is true on a compilationCache volume, so compiled kernels cannot be cached"
            )
        elif volume.purpose is VolumePurpose.MODEL_CACHE and spec.model.source is ModelSource.HUGGINGFACE:
            warnings.append(
                f"{path} is true on a modelCache volume, so the model download will be skipped; "
                "the claim must already hold the weights"
            )
    return warnings
