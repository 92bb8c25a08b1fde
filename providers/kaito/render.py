"""ModelDeployment → one KAITO `Workspace` (kaito.sh/v1beta1), the primary and only target (§2.4).

Pure: settings come from `RenderContext.settings` (never the environment). `resource` and
`inference` sit at the object root, as the Workspace schema has them. Overrides are merged last,
then the last-applied annotation is stamped (§2.5). Mirrors upstream
`providers/kaito/transformer.go`; the differences are decisions D2, D3 and D14.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.sdk import EngineType, ModelDeployment, ModelSource
from providers import common
from providers.base import Manifest, RenderContext, TargetKind
from providers.kaito import compatibility, drift

WORKSPACE: Final = TargetKind("kaito.sh/v1beta1", "Workspace", "workspaces", delete_on_finalize=True)

NODE_AUTO_PROVISIONING: Final = "AIRUNWAY_KAITO_NODE_AUTO_PROVISIONING"
"""Setting: KAITO provisions nodes, so `resource.instanceType` is rendered (truthy values below)."""
GPU_INSTANCE_TYPE: Final = "AIRUNWAY_KAITO_GPU_INSTANCE_TYPE"
"""Setting: `resource.instanceType` for deployments with GPUs (node auto-provisioning only)."""
CPU_INSTANCE_TYPE: Final = "AIRUNWAY_KAITO_CPU_INSTANCE_TYPE"
"""Setting: `resource.instanceType` for CPU-only deployments (node auto-provisioning only)."""
_TRUTHY: Final = frozenset({"1", "t", "true", "y", "yes", "on", "enabled"})

OS_LABEL: Final = "kubernetes.io/os"
GPU_PRESENT_LABEL: Final = "nvidia.com/gpu.present"
LLAMACPP_PORT: Final = 5000
LLAMACPP_CONTAINER: Final = "model"


def render_workspace(md: ModelDeployment, context: RenderContext) -> list[Manifest]:
    """The Workspace for `md`; raises RenderError when it cannot be built."""
    workspace: Manifest = {
        "apiVersion": WORKSPACE.api_version,
        "kind": WORKSPACE.kind,
        "metadata": _metadata(md, context.engine),
        "resource": _resource(md, context.settings),
        "inference": _inference(md, context.engine),
    }
    # Overrides may insert the MD's own (frozen) objects; the result must be ours to mutate.
    workspace = copy.deepcopy(common.apply_overrides(workspace, md))
    return [drift.with_last_applied(workspace)]


def _metadata(md: ModelDeployment, engine: EngineType) -> dict[str, Any]:
    name = md.metadata.name or ""
    managed = {**common.managed_labels(md, engine), common.MODEL_DEPLOYMENT_LABEL: name}
    return {
        "name": name,
        "namespace": md.metadata.namespace or "",
        "labels": common.labels_with_user(md, managed),
        "annotations": common.user_annotations(md),
        "ownerReferences": [common.owner_reference(md)],
    }


def _resource(md: ModelDeployment, settings: Mapping[str, str]) -> dict[str, Any]:
    has_gpu = common.gpu_count(md) > 0
    resource: dict[str, Any] = {"count": common.replicas(md)}
    if instance_type := _instance_type(has_gpu, settings):
        resource["instanceType"] = instance_type
    # The GPU label is set after the user's nodeSelector so it cannot be switched off by accident
    # (delete it with an override to target GPU nodes labelled differently).
    match_labels = {OS_LABEL: "linux", **(md.spec.node_selector or {})}
    if has_gpu:
        match_labels[GPU_PRESENT_LABEL] = "true"
    resource["labelSelector"] = {"matchLabels": match_labels}
    return resource


def is_node_auto_provisioning(settings: Mapping[str, str]) -> bool:
    """Upstream's truthy spellings, trimmed and case-insensitive."""
    return settings.get(NODE_AUTO_PROVISIONING, "").strip().lower() in _TRUTHY


def _instance_type(has_gpu: bool, settings: Mapping[str, str]) -> str:
    if not is_node_auto_provisioning(settings):
        return ""
    return settings.get(GPU_INSTANCE_TYPE if has_gpu else CPU_INSTANCE_TYPE, "").strip()


def _inference(md: ModelDeployment, engine: EngineType) -> dict[str, Any]:
    if engine is EngineType.VLLM:
        return {"preset": _preset(md)}
    if engine is EngineType.LLAMACPP:
        return {"template": _template(md)}
    raise common.RenderError(f"failed to build inference spec: unsupported engine type for KAITO: {engine}")


def _preset(md: ModelDeployment) -> dict[str, Any]:
    preset: dict[str, Any] = {"name": md.spec.model.id or ""}
    secret = md.spec.secrets.hugging_face_token if md.spec.secrets is not None else None
    if secret:
        # D3: the schema documents modelAccessSecret as the Hugging Face token secret.
        preset["presetOptions"] = {"modelAccessSecret": secret}
    return preset


def _template(md: ModelDeployment) -> dict[str, Any]:
    image = compatibility.image(md)
    if not image:
        raise common.RenderError("failed to build inference spec: image is required for llamacpp engine type")
    model_arg = _model_arg(md)
    container: dict[str, Any] = {
        "name": LLAMACPP_CONTAINER,
        "image": image,
        "args": [*([model_arg] if model_arg else []), f"--address=:{LLAMACPP_PORT}"],
        "ports": [{"containerPort": LLAMACPP_PORT}],
    }
    if requests := _requests(md):
        container["resources"] = {"requests": requests}
    if env := common.env(md):
        container["env"] = env
    return {
        "metadata": {"labels": {common.MODEL_DEPLOYMENT_LABEL: md.metadata.name or ""}},
        "spec": {"containers": [container]},
    }


def _model_arg(md: ModelDeployment) -> str | None:
    """The exact GGUF URL when given, else the Hugging Face model; none for custom images."""
    model = md.spec.model
    if model.source is ModelSource.CUSTOM or not model.id:
        return None
    args = md.spec.engine.args if md.spec.engine is not None else None
    return (args or {}).get(compatibility.GGUF_URL_ARG) or f"huggingface://{model.id}"


def _requests(md: ModelDeployment) -> dict[str, str]:
    resources = md.spec.resources
    if resources is None:
        return {}
    requests = {"memory": resources.memory, "cpu": resources.cpu}
    return {key: value for key, value in requests.items() if value}
