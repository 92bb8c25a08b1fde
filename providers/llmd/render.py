"""llm-d targets: plain vLLM Deployments and Services (SPEC-providers §5.4).

Aggregated: Deployment `<md>` (primary) and Service `<md>`. Disaggregated: Deployments
`<md>-decode` (primary) and `<md>-prefill`, then Services `<md>-decode` and `<md>-prefill`; the
two pools exchange KV cache through vLLM's PyNccl connector. The container runs the image's own
entrypoint with upstream's argument order; unlike Direct vLLM there are no probes, no `/dev/shm`
and no host/port flags (upstream). Beyond upstream: storage volumes and mounts with `HF_HOME` (D4),
every `valueFrom` kind in env (D3), and derived flags the user also sets explicitly are dropped
(D23). `spec.provider.overrides` merge into each Deployment, never into `spec.template.spec`.
Mirrors upstream `providers/llmd/transformer.go`. Pure and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from airunway_operator.sdk import (
    ComponentScalingSpec,
    EngineType,
    ModelDeployment,
    ServingMode,
    check_args,
)
from airunway_operator.sdk import effective as defaults
from providers import common, workloads
from providers.base import Manifest, RenderContext
from providers.llmd import compatibility

CONTAINER: Final = "vllm"
DEFAULT_IMAGE: Final = "vllm/vllm-openai:v0.9.1"
DECODE_SUFFIX: Final = "-decode"
PREFILL_SUFFIX: Final = "-prefill"
KV_CONSUMER: Final = '{"kv_connector":"PyNcclConnector","kv_role":"kv_consumer"}'
KV_PRODUCER: Final = '{"kv_connector":"PyNcclConnector","kv_role":"kv_producer"}'
PREFIX_CACHING_KEYS: Final = frozenset({"enable-prefix-caching", "no-enable-prefix-caching"})
BLOCKED_OVERRIDE_PATHS: Final = ("spec.template.spec",)
"""The pod spec is the provider's (upstream blocks it; Direct vLLM does not)."""


@dataclass(frozen=True)
class Pool:
    """One Deployment (and its Service): name, replicas, GPUs per pod, container resources, and
    the KV-transfer role in disaggregated mode."""

    name: str
    replicas: int
    gpus: int
    resources: dict[str, Any] | None
    kv_transfer_config: str | None = None


def render(md: ModelDeployment, context: RenderContext) -> list[Manifest]:
    """The Deployments (overrides merged last), then their Services; the first is the primary.
    Raises RenderError."""
    pools = pools_of(md)
    deployments = [_deployment(md, context.engine, pool) for pool in pools]
    services = [workloads.render_service(md, context.engine, pool.name) for pool in pools]
    return [*deployments, *services]


def pools_of(md: ModelDeployment) -> list[Pool]:
    """`[<md>]` in aggregated mode; `[<md>-decode, <md>-prefill]` in disaggregated mode."""
    name = md.metadata.name or ""
    if defaults.serving_mode(md.spec) is not ServingMode.DISAGGREGATED:
        return [Pool(name, common.replicas(md), common.gpu_count(md), workloads.aggregated_resources(md))]
    scaling = md.spec.scaling
    if scaling is None or scaling.decode is None:
        raise common.RenderError(compatibility.DECODE_REQUIRED)
    if scaling.prefill is None:
        raise common.RenderError(compatibility.PREFILL_REQUIRED)
    return [
        _component_pool(name + DECODE_SUFFIX, scaling.decode, KV_CONSUMER),
        _component_pool(name + PREFILL_SUFFIX, scaling.prefill, KV_PRODUCER),
    ]


def _component_pool(name: str, component: ComponentScalingSpec, kv_transfer_config: str) -> Pool:
    """Replicas verbatim (0 is allowed), the component's GPUs and memory; no CPU request."""
    gpus = compatibility.component_gpus(component)
    resources = workloads.container_resources(gpus, component.memory, None)
    return Pool(name, component.replicas, gpus, resources, kv_transfer_config)


def image(md: ModelDeployment) -> str:
    """`spec.engine.image`, else the legacy `spec.image`, else upstream's pinned vLLM release."""
    engine_image = md.spec.engine.image if md.spec.engine is not None else None
    return engine_image or md.spec.image or DEFAULT_IMAGE


def build_args(md: ModelDeployment, pool: Pool) -> list[str]:
    """Derived flags a user flag does not replace, sorted `engine.args`, then `extraArgs` verbatim."""
    duplicates = check_args(md.spec)
    if duplicates:
        raise common.RenderError(duplicates[0].message)
    explicit = common.explicit_arg_keys(md)
    args: list[str] = []
    for keys, tokens in _derived_flags(md, pool):
        if explicit.isdisjoint(keys):
            args += tokens
    return [*args, *common.engine_arg_tokens(md), *common.extra_args(md)]


def _derived_flags(md: ModelDeployment, pool: Pool) -> list[tuple[frozenset[str], list[str]]]:
    """(flag keys, tokens) in upstream's order; each is dropped when the user sets one of its keys
    (D23: an explicit user flag wins, so vLLM never sees the same flag twice)."""
    model, engine = md.spec.model, md.spec.engine
    flags: list[tuple[frozenset[str], list[str]]] = []
    if model.id:
        flags.append((frozenset({"model"}), ["--model", model.id]))
    if model.served_name:
        flags.append((frozenset({"served-model-name"}), ["--served-model-name", model.served_name]))
    if engine is not None and engine.context_length is not None:
        flags.append((frozenset({"max-model-len"}), ["--max-model-len", str(engine.context_length)]))
    if engine is not None and engine.trust_remote_code:
        flags.append((frozenset({"trust-remote-code"}), ["--trust-remote-code"]))
    # Both states are explicit. Without a `spec.engine` block the CRD default (true) never applies,
    # so prefix caching is off, as upstream's zero value makes it.
    caching = engine is not None and engine.enable_prefix_caching
    flags.append(
        (PREFIX_CACHING_KEYS, ["--enable-prefix-caching" if caching else "--no-enable-prefix-caching"])
    )
    if engine is not None and engine.enforce_eager:
        flags.append((frozenset({"enforce-eager"}), ["--enforce-eager"]))
    if pool.gpus > 1:
        flags.append((frozenset({"tensor-parallel-size"}), ["--tensor-parallel-size", str(pool.gpus)]))
    if pool.kv_transfer_config:
        flags.append((frozenset({"kv-transfer-config"}), ["--kv-transfer-config", pool.kv_transfer_config]))
    return flags


def _deployment(md: ModelDeployment, engine: EngineType, pool: Pool) -> Manifest:
    deployment = workloads.render_deployment(md, engine, pool.name, pool.replicas, _pod_spec(md, pool))
    return common.apply_overrides(deployment, md, BLOCKED_OVERRIDE_PATHS)


def _pod_spec(md: ModelDeployment, pool: Pool) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [_container(md, pool)]}
    volumes = workloads.storage_volumes(md)
    if volumes:
        pod_spec["volumes"] = volumes
    if md.spec.node_selector:
        pod_spec["nodeSelector"] = dict(md.spec.node_selector)
    tolerations = common.tolerations(md)
    if tolerations:
        pod_spec["tolerations"] = tolerations
    return pod_spec


def _container(md: ModelDeployment, pool: Pool) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": image(md),
        "args": build_args(md, pool),
        "ports": workloads.container_ports(),
    }
    mounts = workloads.storage_mounts(md)
    if mounts:
        container["volumeMounts"] = mounts
    if pool.resources:
        container["resources"] = pool.resources
    env = workloads.container_env(md)
    if env:
        container["env"] = env
    return container
