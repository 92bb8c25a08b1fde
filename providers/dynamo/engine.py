"""Worker images, commands and arguments of a DynamoGraphDeployment (§3.4 "Engine args", §3.5).

Pure. Mirrors upstream `providers/dynamo/transformer.go`; `engine.extraArgs` are appended (D3),
where upstream drops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from airunway_operator.sdk import EngineType, ModelDeployment
from providers import common

IMAGE_REGISTRY: Final = "nvcr.io/nvidia/ai-dynamo"
_RUNTIMES: Final[Mapping[EngineType, str]] = {
    EngineType.VLLM: "vllm-runtime",
    EngineType.SGLANG: "sglang-runtime",
    EngineType.TRTLLM: "tensorrtllm-runtime",
}
PLANNER: Final = "dynamo-planner"
EPP_IMAGE: Final = "dynamo-frontend"
CONNECTOR_ARG: Final = "connector"
"""Dropped from vLLM args: the KV connector is Dynamo's choice (NIXL), not a worker flag."""
KV_TRANSFER_CONFIG: Final = '{"kv_connector":"NixlConnector","kv_role":"kv_both"}'
MOCKER_TUNING: Final = (
    "--speedup-ratio", "1000.0",
    "--num-gpu-blocks-override", "4096",
    "--block-size", "16",
    "--max-num-seqs", "64",
)  # fmt: skip


def image(name: str, version: str) -> str:
    return f"{IMAGE_REGISTRY}/{name}:{version}"


def runtime_image(engine: EngineType, version: str) -> str:
    """The engine's Dynamo runtime image; unknown engines get the vLLM runtime."""
    return image(_RUNTIMES.get(engine, _RUNTIMES[EngineType.VLLM]), version)


def worker_image(md: ModelDeployment, engine: EngineType, version: str, mocker: bool) -> str:
    """Planner image for the mocker (beats everything), else `engine.image`, `image`, the runtime."""
    if mocker:
        return image(PLANNER, version)
    engine_image = md.spec.engine.image if md.spec.engine is not None else None
    return engine_image or md.spec.image or runtime_image(engine, version)


def command(engine: EngineType, mocker: bool) -> list[str]:
    return ["python3", "-m", "dynamo.mocker" if mocker else f"dynamo.{engine.value}"]


def worker_args(md: ModelDeployment, engine: EngineType, mocker: bool, role: str | None) -> list[str]:
    """The worker's arguments; `role` is `prefill` or `decode` in disaggregated mode."""
    if mocker:
        return [*mocker_args(md), *(["--disaggregation-mode", role] if role else [])]
    args = engine_args(md, engine)
    if role:
        args += ["--disaggregation-mode", role]
        if engine is EngineType.VLLM:
            args += ["--kv-transfer-config", KV_TRANSFER_CONFIG]
    return args


def mocker_args(md: ModelDeployment) -> list[str]:
    model_id = md.spec.model.id or ""
    served = md.spec.model.served_name or model_id
    return ["--model-path", model_id, "--model-name", served, *MOCKER_TUNING]


def engine_args(md: ModelDeployment, engine: EngineType) -> list[str]:
    """Model, served name, the structured flags (vLLM and SGLang), sorted `engine.args`, extraArgs."""
    model = md.spec.model
    args: list[str] = []
    if model.id:
        args += ["--model" if engine is EngineType.VLLM else "--model-path", model.id]
    if model.served_name:
        args += ["--served-model-name", model.served_name]
    if engine in (EngineType.VLLM, EngineType.SGLANG):
        args += _structured_flags(md, engine)
    return [*args, *_arg_tokens(md, engine), *common.extra_args(md)]


def _structured_flags(md: ModelDeployment, engine: EngineType) -> list[str]:
    spec = md.spec.engine
    if spec is None:
        return []
    flags: list[str] = []
    if spec.context_length is not None:
        flags += [
            "--max-model-len" if engine is EngineType.VLLM else "--context-length",
            str(spec.context_length),
        ]
    if spec.trust_remote_code:
        flags.append("--trust-remote-code")
    if spec.enable_prefix_caching:
        flags.append("--enable-prefix-caching")
    if spec.enforce_eager:
        flags.append("--enforce-eager")
    return flags


def _arg_tokens(md: ModelDeployment, engine: EngineType) -> list[str]:
    """`engine.args` sorted by key, `--key value` or a bare `--key`; vLLM drops `connector`."""
    args = (md.spec.engine.args if md.spec.engine is not None else None) or {}
    tokens: list[str] = []
    for key in sorted(args):
        if not common.is_valid_arg_key(key):
            raise common.RenderError(
                f"invalid engine arg key {common.go_quote(key)}: must contain only alphanumeric characters, "
                "hyphens, and underscores"
            )
        if engine is EngineType.VLLM and key == CONNECTOR_ARG:
            continue
        tokens += [f"--{key}", args[key]] if args[key] else [f"--{key}"]
    return tokens
