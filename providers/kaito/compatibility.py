"""What KAITO cannot serve (§2.3) and what it accepts but cannot use (§7, decision D3).

`check` returns upstream's exact message for a deployment KAITO cannot serve. `admission_warnings`
lists fields a KAITO deployment sets that have no effect: upstream silently ignores them, so they
are accepted (a manifest upstream accepts is never rejected here) with a warning naming the
provider and the field. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from airunway_operator.sdk import EngineType, ModelDeployment, ModelSource, ServingMode

GGUF_URL_ARG: Final = "ggufUrl"
"""The only `engine.args` key the llama.cpp template uses."""

_BY_PROVIDER: Final = "is ignored by provider kaito"


def check(md: ModelDeployment, engine: EngineType) -> str | None:
    """None when KAITO can serve `md` with the resolved `engine`, else upstream's message."""
    if engine is EngineType.SGLANG:
        return "KAITO does not support sglang engine"
    if engine is EngineType.TRTLLM:
        return "KAITO does not support trtllm engine"
    if md.spec.serving is not None and md.spec.serving.mode is ServingMode.DISAGGREGATED:
        return "KAITO does not support disaggregated serving mode"
    if engine is EngineType.LLAMACPP and not image(md):
        # D13: upstream demands spec.image although the renderer also accepts spec.engine.image.
        return "llamacpp engine requires spec.image to be set"
    return None


def image(md: ModelDeployment) -> str | None:
    """The llama.cpp image: `spec.engine.image`, else the legacy `spec.image`."""
    engine_image = md.spec.engine.image if md.spec.engine is not None else None
    return engine_image or md.spec.image or None


def admission_warnings(md: ModelDeployment) -> list[str]:
    """One warning per field that a KAITO deployment sets but KAITO cannot honour, in field order.
    Engine-specific warnings need the engine (`spec.engine.type`, else the core's choice)."""
    engine = md.spec.engine.type if md.spec.engine is not None else None
    if engine is None and md.status is not None and md.status.engine is not None:
        engine = md.status.engine.type
    checks: list[Callable[[ModelDeployment], list[str]]] = [_model_warnings, _engine_warnings]
    if engine is EngineType.VLLM:
        checks.append(_preset_warnings)
    elif engine is EngineType.LLAMACPP:
        checks.append(_llamacpp_warnings)
    checks.append(_placement_warnings)
    return [warning for collect in checks for warning in collect(md)]


def _model_warnings(md: ModelDeployment) -> list[str]:
    model = md.spec.model
    warnings = []
    # With source custom the core already warns that servedName is ignored.
    if model.served_name and model.source is ModelSource.HUGGINGFACE:
        warnings.append(
            f"spec.model.servedName {_BY_PROVIDER}: the KAITO preset or llama.cpp serves the model "
            "under its own name; remove it or choose another provider"
        )
    if model.storage is not None and model.storage.volumes:
        warnings.append(
            f"spec.model.storage {_BY_PROVIDER}: KAITO manages model weights itself and mounts no "
            "volumes; remove it or choose another provider"
        )
    return warnings


def _engine_warnings(md: ModelDeployment) -> list[str]:
    engine = md.spec.engine
    if engine is None:
        return []
    ignored = [
        ("contextLength", engine.context_length is not None),
        ("trustRemoteCode", engine.trust_remote_code),
        ("enablePrefixCaching", not engine.enable_prefix_caching),
        ("enforceEager", engine.enforce_eager),
        ("extraArgs", bool(engine.extra_args)),
    ]
    return [
        f"spec.engine.{field} {_BY_PROVIDER}: KAITO chooses the engine flags itself; "
        "remove it or choose another provider"
        for field, is_set in ignored
        if is_set
    ]


def _preset_warnings(md: ModelDeployment) -> list[str]:
    spec = md.spec
    ignored = [
        (
            "spec.engine.image",
            spec.engine is not None and bool(spec.engine.image),
            "the preset chooses the image",
        ),
        ("spec.image", bool(spec.image), "the preset chooses the image"),
        (
            "spec.engine.args",
            spec.engine is not None and bool(spec.engine.args),
            "the preset chooses the flags",
        ),
        (
            "spec.resources.cpu",
            spec.resources is not None and bool(spec.resources.cpu),
            "the preset sizes its pods",
        ),
        (
            "spec.resources.memory",
            spec.resources is not None and bool(spec.resources.memory),
            "the preset sizes its pods",
        ),
        (
            "spec.env",
            bool(spec.env),
            "a KAITO preset takes no environment variables (the Hugging Face token secret is passed "
            "as presetOptions.modelAccessSecret)",
        ),
    ]
    return [
        f"{path} {_BY_PROVIDER} with engine vllm: {why}; remove it, or use engine llamacpp "
        "or another provider"
        for path, is_set, why in ignored
        if is_set
    ]


def _llamacpp_warnings(md: ModelDeployment) -> list[str]:
    args = md.spec.engine.args if md.spec.engine is not None else None
    unused = sorted(key for key in args or {} if key != GGUF_URL_ARG)
    if not unused:
        return []
    keys = ", ".join(repr(key) for key in unused)
    return [
        f"spec.engine.args keys {keys} are ignored by provider kaito with engine llamacpp: only "
        f"{GGUF_URL_ARG} is used; remove the other keys"
    ]


def _placement_warnings(md: ModelDeployment) -> list[str]:
    if not md.spec.tolerations:
        return []
    return [
        f"spec.tolerations {_BY_PROVIDER}: KAITO places its pods through the node label selector "
        "(spec.nodeSelector) and tolerates no taints; remove them or choose another provider"
    ]
