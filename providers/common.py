"""Helpers every provider shares (written once, never copied per provider). Pure.

Owner references, managed labels, the overrides deep merge, env wiring with the Hugging Face token
secret, replica counts, engine flags (`engine.args` / `extraArgs`), tolerations, the compact
JSON upstream writes into annotations, and JSON merge patches with JSON-value equality.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from airunway_operator.sdk import EngineType, ModelDeployment, constants
from airunway_operator.sdk import effective as defaults
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


# -- engine flags ----------------------------------------------------------------------------------

_ARG_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


def is_valid_arg_key(key: str) -> bool:
    """Upstream's arg-key rule: letters, digits, `-` and `_` only, not starting with `-`."""
    return bool(_ARG_KEY.fullmatch(key)) and not key.startswith("-")


def engine_arg_tokens(md: ModelDeployment) -> list[str]:
    """`engine.args` sorted by key as `--key value`, or a bare `--key` for an empty value.

    Raises RenderError naming the first invalid key (in sorted order, so the message is stable)."""
    args = md.spec.engine.args if md.spec.engine is not None else None
    tokens: list[str] = []
    for key in sorted(args or {}):
        if not is_valid_arg_key(key):
            raise RenderError(
                f"invalid engine arg key {go_quote(key)}: must contain only alphanumeric characters, "
                "hyphens, and underscores"
            )
        value = (args or {})[key]
        tokens += [f"--{key}", value] if value else [f"--{key}"]
    return tokens


def extra_arg_key(token: str) -> str | None:
    """The flag name of an `extraArgs` token `--key` or `--key=value`; None for anything else
    (values, single-dash flags, `---x`, a bare `--`)."""
    if not token.startswith("--") or len(token) <= 2 or token[2] == "-":
        return None
    return token[2:].split("=", 1)[0].strip() or None


def explicit_arg_keys(md: ModelDeployment) -> frozenset[str]:
    """Flag names the user sets explicitly: keys of `engine.args` and `--key` tokens of `extraArgs`.
    A flag the provider derives from a structured field is skipped when its key is in here."""
    engine = md.spec.engine
    if engine is None:
        return frozenset()
    extra = (extra_arg_key(token) for token in engine.extra_args or ())
    return frozenset({*(engine.args or {}), *(key for key in extra if key)})


def extra_args(md: ModelDeployment) -> list[str]:
    """`engine.extraArgs` verbatim."""
    return list(md.spec.engine.extra_args or ()) if md.spec.engine is not None else []


# -- pod placement ---------------------------------------------------------------------------------


def tolerations(md: ModelDeployment) -> list[dict[str, Any]]:
    """`spec.tolerations` in pod form: key and operator as written, value and effect when
    non-empty, tolerationSeconds when set."""
    result: list[dict[str, Any]] = []
    for toleration in md.spec.tolerations or ():
        item: dict[str, Any] = {}
        if toleration.key is not None:
            item["key"] = toleration.key
        if toleration.operator is not None:
            item["operator"] = toleration.operator
        if toleration.value:
            item["value"] = toleration.value
        if toleration.effect:
            item["effect"] = toleration.effect
        if toleration.toleration_seconds is not None:
            item["tolerationSeconds"] = toleration.toleration_seconds
        result.append(item)
    return result


# -- upstream's JSON spelling ------------------------------------------------------------------------

_GO_HTML_ESCAPES: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def go_quote(text: str) -> str:
    """`text` quoted as Go's `%q` does for printable input (used in upstream's messages)."""
    return json.dumps(text, ensure_ascii=False)


# -- JSON as upstream writes it (maps and floats), and merge patches ---------------------------------


def go_json(value: Any, *, sort_keys: bool = False) -> str:
    """JSON as Go's `encoding/json.Marshal` writes it: no whitespace, UTF-8 kept, and `<`, `>`,
    `&`, U+2028 and U+2029 escaped, so annotation values match upstream byte for byte. Key order
    is the caller's by default (Go writes struct fields in declaration order); with
    `sort_keys=True` every map is written in sorted key order (Go sorts map keys, but writes struct
    fields in declaration order), and floats are spelled as Go spells them (no exponent between
    1e-6 and 1e21, integral floats without a fraction). Used where upstream compares the bytes,
    such as KAITO's last-applied annotation.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, Mapping):
        keys = sorted(value, key=str) if sort_keys else list(value)
        items = (f"{_go_string(str(k))}:{go_json(value[k], sort_keys=sort_keys)}" for k in keys)
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(item, sort_keys=sort_keys) for item in value) + "]"
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _go_string(text: str) -> str:
    # A lone surrogate can only come from a `\ud8xx` escape, which Go decodes to U+FFFD.
    text = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    encoded = json.dumps(text, ensure_ascii=False)
    return "".join(_GO_HTML_ESCAPES.get(ch, ch) for ch in encoded)


def _go_float(number: float) -> str:
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{number} cannot be written as JSON")
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(number)  # shortest digits, exponent form; Go writes e-7 where Python writes e-07
        return re.sub(r"e([+-])0(\d)$", r"e\1\2", text)
    return format(Decimal(repr(number)).normalize(), "f")


def merge_patch_from(base: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning the whole of `base` into `target`, as
    controller-runtime's `client.MergeFrom(base)` computes it: changed keys with their new value,
    nested maps as nested patches, keys missing from `target` as null; empty when they are equal.
    (`airunway_operator.status.patch.merge_patch` instead looks only at the keys of `desired`.)"""
    patch: dict[str, Any] = {}
    for key in base:
        if key not in target:
            patch[key] = None
    for key, value in target.items():
        old = base.get(key, _ABSENT)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = merge_patch_from(old, value)
            if nested:
                patch[key] = nested
        elif old is _ABSENT or not json_equal(old, value):
            patch[key] = copy.deepcopy(value)
    return patch


_ABSENT: Final = object()


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values as the API server sees them: numbers by value, but never a bool
    equal to a number (Python's `True == 1`), lists in order, maps by key."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and bool(left == right)


def ui_annotations(
    *,
    display_name: str,
    description: str,
    default_namespace: str,
    documentation_url: str,
    capabilities: Any,
    health: Any,
    installation: Any,
) -> dict[str, str]:
    """The InferenceProviderConfig annotations UIs read (SPEC-providers §1.2), values in Go's
    compact JSON; registration merges them over foreign keys."""
    return {
        constants.ANNOTATION_DISPLAY_NAME: display_name,
        constants.ANNOTATION_DESCRIPTION: description,
        constants.ANNOTATION_DEFAULT_NAMESPACE: default_namespace,
        constants.ANNOTATION_DOCUMENTATION_URL: documentation_url,
        constants.ANNOTATION_CAPABILITIES: go_json(capabilities),
        constants.ANNOTATION_HEALTH: go_json(health, sort_keys=True),
        constants.ANNOTATION_INSTALLATION: go_json(installation),
        constants.ANNOTATION_DOCUMENTATION: documentation_url,
    }
