"""ModelDeployment → one `DynamoGraphDeployment` (nvidia.com/v1alpha1), the only target (§3.4).

Pure: the Dynamo release comes from `RenderContext.settings` (never the environment). Typed
overrides are read and stripped, the rest is deep-merged last (D10). Mirrors upstream
`providers/dynamo/transformer.go`; the differences are decisions D3, D7 and D10.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.sdk import EngineType, ModelDeployment
from providers import common
from providers.base import Manifest, RenderContext, TargetKind
from providers.dynamo import capabilities, compatibility, components, overrides
from providers.dynamo import engine as engines

DGD: Final = TargetKind(
    "nvidia.com/v1alpha1", "DynamoGraphDeployment", "dynamographdeployments", delete_on_finalize=True
)
VERSION_SETTING: Final = "AIRUNWAY_DYNAMO_VERSION"
"""Setting: the Dynamo release whose images the graph runs (default `capabilities.DEFAULT_VERSION`)."""
MODEL_ID_LABEL: Final = "airunway.ai/model-id"

_LABEL_UNSAFE: Final = re.compile(r"[^A-Za-z0-9\-_.]")


def render(md: ModelDeployment, context: RenderContext) -> list[Manifest]:
    """`[DynamoGraphDeployment <md>]`; raises RenderError when it cannot be built."""
    version = dynamo_version(context.settings)
    graph: Manifest = {
        "apiVersion": DGD.api_version,
        "kind": DGD.kind,
        "metadata": _metadata(md, context.engine),
        "spec": _spec(md, context.engine, version),
    }
    # Overrides may insert the MD's own (frozen) objects; the result must be ours to mutate.
    return [copy.deepcopy(common.apply_overrides(graph, overrides.without_typed(md)))]


def dynamo_version(settings: Mapping[str, str]) -> str:
    return settings.get(VERSION_SETTING, "").strip() or capabilities.DEFAULT_VERSION


def sanitize_label_value(value: str) -> str:
    """Upstream's label sanitizer: 63 characters, unsafe characters to `-`, trimmed of `-_.`."""
    return _LABEL_UNSAFE.sub("-", value[:63]).strip("-_.")


def _metadata(md: ModelDeployment, engine: EngineType) -> dict[str, Any]:
    """Managed labels only: podTemplate metadata is not used (admission warns, D3)."""
    name = md.metadata.name or ""
    labels = {
        **common.managed_labels(md, engine),
        common.MODEL_DEPLOYMENT_LABEL: name,
        MODEL_ID_LABEL: sanitize_label_value(md.spec.model.id or ""),
    }
    return {
        "name": name,
        "namespace": md.metadata.namespace or "",
        "labels": labels,
        "ownerReferences": [common.owner_reference(md)],
    }


def _spec(md: ModelDeployment, engine: EngineType, version: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"backendFramework": engine.value, "services": _services(md, engine, version)}
    claims = [
        {"name": components.claim_name(md, volume), "create": False} for volume in components.volumes(md)
    ]
    if claims:
        spec["pvcs"] = claims
    return spec


def _services(md: ModelDeployment, engine: EngineType, version: str) -> dict[str, Any]:
    mocker = compatibility.is_mocker(md)
    disaggregated = compatibility.is_disaggregated(md)
    gateway = compatibility.is_gateway_enabled(md)
    typed = overrides.typed(md)
    image = engines.worker_image(md, engine, version, mocker)
    services: dict[str, Any] = {}
    if gateway:
        services[components.EPP] = components.endpoint_picker(disaggregated, typed, version)
    else:
        services[components.FRONTEND] = components.frontend(md, image, typed, mocker)
    if not disaggregated:
        sidecar = components.frontend_sidecar(md, False, version) if gateway else None
        services[components.WORKER] = components.aggregated_worker(md, engine, image, mocker, sidecar)
        return services
    scaling = md.spec.scaling
    if scaling is None or scaling.prefill is None or scaling.decode is None:
        raise common.RenderError(
            "disaggregated mode requires spec.scaling.prefill and spec.scaling.decode to be set"
        )
    for key, role, pool in (
        (components.PREFILL_WORKER, "prefill", scaling.prefill),
        (components.DECODE_WORKER, "decode", scaling.decode),
    ):
        sidecar = components.frontend_sidecar(md, True, version) if gateway else None
        services[key] = components.pool_worker(md, engine, image, mocker, role, pool, sidecar)
    return services
