"""Helpers every provider shares (written once, never copied per provider). Pure.

Owner references, managed labels, the overrides deep merge, env wiring with the Hugging Face token
secret, and replica counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from airunway_operator.api import constants
from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.validation import defaults
from providers.base import Manifest

MANAGED_BY: Final = "airunway.ai/managed-by"
DEPLOYMENT_LABEL: Final = "airunway.ai/deployment"
MODEL_SOURCE_LABEL: Final = "airunway.ai/model-source"
ENGINE_TYPE_LABEL: Final = "airunway.ai/engine-type"
MODEL_DEPLOYMENT_LABEL: Final = "airunway.ai/model-deployment"
HF_TOKEN: Final = "HF_TOKEN"
BLOCKED_OVERRIDE_KEYS: Final = frozenset({"apiVersion", "kind", "metadata", "status"})


class RenderError(ValueError):
    """The deployment cannot be rendered; the message names the field and the fix."""


def owner_reference(md: ModelDeployment) -> dict[str, Any]:
    """The single controller reference every rendered object carries (fixed apiVersion/kind, D2)."""
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.MODELDEPLOYMENT_KIND,
        "name": md.metadata.name or "",
        "uid": md.metadata.uid or "",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def managed_labels(md: ModelDeployment, engine: EngineType) -> dict[str, str]:
    """The airunway.ai/* labels of a rendered object."""
    return {
        MANAGED_BY: "airunway",
        DEPLOYMENT_LABEL: md.metadata.name or "",
        MODEL_SOURCE_LABEL: md.spec.model.source.value,
        ENGINE_TYPE_LABEL: engine.value,
    }


def user_labels(md: ModelDeployment) -> dict[str, str]:
    template = md.spec.pod_template
    return dict(template.metadata.labels or {}) if template and template.metadata else {}


def user_annotations(md: ModelDeployment) -> dict[str, str]:
    template = md.spec.pod_template
    return dict(template.metadata.annotations or {}) if template and template.metadata else {}


def labels_with_user(md: ModelDeployment, managed: Mapping[str, str]) -> dict[str, str]:
    """podTemplate labels, then the managed keys, which always win (D14)."""
    return {**user_labels(md), **managed}


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Maps merge recursively; anything else replaces; None deletes the key."""
    merged = dict(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_overrides(manifest: Manifest, md: ModelDeployment, blocked: Sequence[str] = ()) -> Manifest:
    """Deep-merge `spec.provider.overrides` into a rendered object, last. The four top-level keys
    (and any provider-specific `blocked` dotted paths) cannot be overridden."""
    overrides = md.spec.provider.overrides if md.spec.provider else None
    if not overrides:
        return manifest
    for key in overrides:
        if key in BLOCKED_OVERRIDE_KEYS:
            raise RenderError(f"spec.provider.overrides.{key} cannot be overridden")
    for path in blocked:
        if _has_path(overrides, path.split(".")):
            raise RenderError(f"spec.provider.overrides.{path} cannot be overridden for this provider")
    return deep_merge(manifest, overrides)


def _has_path(data: Mapping[str, Any], keys: Sequence[str]) -> bool:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def env(md: ModelDeployment) -> list[dict[str, Any]]:
    """`spec.env` as container env (every valueFrom kind kept, never value and valueFrom together),
    then HF_TOKEN from the configured secret; a user HF_TOKEN gives way to the secret (D3)."""
    secret = md.spec.secrets.hugging_face_token if md.spec.secrets else None
    result: list[dict[str, Any]] = []
    for var in md.spec.env or ():
        if secret and var.name == HF_TOKEN:
            continue
        item = var.model_dump(mode="json", by_alias=True, exclude_none=True)
        if item.get("valueFrom"):
            item.pop("value", None)
        result.append(item)
    if secret:
        result.append({"name": HF_TOKEN, "valueFrom": {"secretKeyRef": {"name": secret, "key": HF_TOKEN}}})
    return result


def replicas(md: ModelDeployment) -> int:
    """`scaling.replicas` when above 0, else 1 (upstream's rule for every provider)."""
    count = md.spec.scaling.replicas if md.spec.scaling is not None else 1
    return count if count > 0 else 1


def gpu_count(md: ModelDeployment) -> int:
    """GPUs per replica in aggregated mode, with upstream's admission default applied virtually."""
    resources = md.spec.resources
    if resources is None:
        return 1 if defaults.gpu_default_applies(md.spec) else 0
    return resources.gpu.count if resources.gpu is not None else 0
