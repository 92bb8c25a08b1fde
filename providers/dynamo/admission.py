"""Fields a Dynamo deployment sets that Dynamo cannot use: admission warnings (§7, D3, D7, D10).

Upstream ignores these silently, so they are accepted (a manifest upstream accepts is never
rejected here) with a warning naming the provider, the field and the fix. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from airunway_operator.sdk import EngineType, ModelDeployment, constants
from providers.dynamo import compatibility, overrides

_BY_PROVIDER: Final = "is ignored by provider dynamo"


def warnings(md: ModelDeployment) -> list[str]:
    """One warning per unusable field, in field order."""
    checks: tuple[Callable[[ModelDeployment], list[str]], ...] = (
        _storage,
        _engine_flags,
        _resources,
        _pod_template,
        _typed_overrides,
    )
    return [warning for check in checks for warning in check(md)]


def _engine(md: ModelDeployment) -> EngineType | None:
    engine = md.spec.engine.type if md.spec.engine is not None else None
    if engine is None and md.status is not None and md.status.engine is not None:
        engine = md.status.engine.type
    return engine


def _storage(md: ModelDeployment) -> list[str]:
    storage = md.spec.model.storage
    read_only = [v.name for v in (storage.volumes if storage is not None else None) or () if v.read_only]
    return [
        f"spec.model.storage.volumes[{name!r}].readOnly is not enforced by provider dynamo: a "
        "DynamoGraphDeployment volume mount has no read-only setting, so the volume is mounted "
        "read-write; remove readOnly or choose another provider"
        for name in read_only
    ]


def _engine_flags(md: ModelDeployment) -> list[str]:
    spec = md.spec.engine
    if spec is None or compatibility.is_mocker(md):
        return []
    engine = _engine(md)
    result = []
    if engine is EngineType.TRTLLM:
        unused = [
            ("contextLength", spec.context_length is not None),
            ("trustRemoteCode", spec.trust_remote_code),
            ("enforceEager", spec.enforce_eager),
        ]
        result += [
            f"spec.engine.{field} {_BY_PROVIDER} with engine trtllm: Dynamo passes no such flag to "
            "TensorRT-LLM; set the TensorRT-LLM option in spec.engine.args instead"
            for field, is_set in unused
            if is_set
        ]
    elif not spec.enable_prefix_caching:
        result.append(
            "spec.engine.enablePrefixCaching false is ignored by provider dynamo, which only passes "
            "--enable-prefix-caching when true, so the engine's own default applies; turn it off with "
            "spec.engine.extraArgs instead"
        )
    return result


def _resources(md: ModelDeployment) -> list[str]:
    resources = md.spec.resources
    if resources is None:
        return []
    result = []
    gpu = resources.gpu
    if gpu is not None and gpu.type not in ("", constants.DEFAULT_GPU_TYPE):
        result.append(
            f"spec.resources.gpu.type {gpu.type!r} {_BY_PROVIDER}, whose workers always request "
            "NVIDIA GPUs; remove the field or choose a provider that honours it (kuberay)"
        )
    if compatibility.is_disaggregated(md):
        for field, value in (("memory", resources.memory), ("cpu", resources.cpu)):
            if value:
                result.append(
                    f"spec.resources.{field} {_BY_PROVIDER} in disaggregated mode: workers are sized by "
                    "spec.scaling.prefill and spec.scaling.decode; move it there (memory) or remove it"
                )
    return result


def _pod_template(md: ModelDeployment) -> list[str]:
    template = md.spec.pod_template
    if template is None or template.metadata is None:
        return []
    if not template.metadata.labels and not template.metadata.annotations:
        return []
    return [
        f"spec.podTemplate.metadata {_BY_PROVIDER}: Dynamo creates the pods itself and takes no pod "
        "labels or annotations from here; set them with spec.provider.overrides "
        "(services.<name>.extraPodMetadata) or choose another provider"
    ]


def _typed_overrides(md: ModelDeployment) -> list[str]:
    return [
        f"spec.provider.overrides.{path} {_BY_PROVIDER}: under routerMode, frontend and epp only "
        "routerMode (text), frontend.replicas, epp.replicas (whole numbers), frontend.resources.cpu, "
        "frontend.resources.memory and epp.image (text) are used; fix or remove it"
        for path in overrides.unusable(md)
    ]
