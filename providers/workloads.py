"""Plain `apps/v1` Deployments and `v1` Services running an engine server, and their status.

Shared by the providers that render workloads themselves instead of an upstream custom resource
(Direct vLLM today, llm-d next; SPEC-providers §5.4, §5.6, §6.4): names, labels, selectors, the
Service, container resources, storage volumes and mounts (D4), and the Deployment → phase
translator. Pure: no client, no clock, no settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from airunway_operator.sdk import EngineType, ModelDeployment, Phase, StorageVolume, VolumePurpose
from airunway_operator.sdk import effective as defaults
from providers import common
from providers.base import Manifest, ProviderStatus, TargetKind

DEPLOYMENT: Final = TargetKind("apps/v1", "Deployment", "deployments", delete_on_finalize=True)
#: Created aside: ClusterIP allocation is serialised in the API server (about 35 Services/s on the
#: benchmark plane), and a burst of Services waited for in line held every pass behind them.
SERVICE: Final = TargetKind("v1", "Service", "services", create_aside=True)

HTTP_PORT: Final = 8000
HTTP_PORT_NAME: Final = "http"
APP_LABEL: Final = "app"
GPU_RESOURCE: Final = "nvidia.com/gpu"
"""The GPU key these workloads request, whatever `resources.gpu.type` says (upstream)."""
HF_HOME: Final = "HF_HOME"
ROLLOUT_TIMED_OUT: Final = "deployment timed out waiting for rollout"


# -- objects -----------------------------------------------------------------------------------


def selector_labels(md: ModelDeployment, name: str) -> dict[str, str]:
    """The pod selector of the Deployment `name` (and of its Service): stable, never user-set."""
    return {common.DEPLOYMENT_LABEL: md.metadata.name or "", APP_LABEL: name}


def object_metadata(md: ModelDeployment, name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """Name, namespace, labels and the controller owner reference of a rendered object."""
    return {
        "name": name,
        "namespace": md.metadata.namespace or "",
        "labels": dict(labels),
        "ownerReferences": [common.owner_reference(md)],
    }


def render_deployment(
    md: ModelDeployment, engine: EngineType, name: str, replicas: int, pod_spec: Mapping[str, Any]
) -> Manifest:
    """A Deployment `name` around `pod_spec`: managed + podTemplate labels (managed win, D14),
    podTemplate annotations, and pod labels whose selector keys cannot be overwritten."""
    metadata = object_metadata(md, name, common.labels_with_user(md, common.managed_labels(md, engine)))
    annotations = common.user_annotations(md)
    if annotations:
        metadata["annotations"] = dict(annotations)
    selector = selector_labels(md, name)
    return {
        "apiVersion": DEPLOYMENT.api_version,
        "kind": DEPLOYMENT.kind,
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {"labels": {**common.user_labels(md), **selector}, "annotations": annotations},
                "spec": dict(pod_spec),
            },
        },
    }


def render_service(md: ModelDeployment, engine: EngineType, name: str) -> Manifest:
    """The ClusterIP Service `name` in front of the Deployment `name` (base labels only)."""
    return {
        "apiVersion": SERVICE.api_version,
        "kind": SERVICE.kind,
        "metadata": object_metadata(md, name, common.managed_labels(md, engine)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(md, name),
            "ports": [
                {"name": HTTP_PORT_NAME, "port": HTTP_PORT, "targetPort": HTTP_PORT, "protocol": "TCP"}
            ],
        },
    }


def container_ports() -> list[dict[str, Any]]:
    return [{"name": HTTP_PORT_NAME, "containerPort": HTTP_PORT, "protocol": "TCP"}]


def container_resources(gpus: int, memory: str | None, cpu: str | None) -> dict[str, Any] | None:
    """GPU limit + request (always `nvidia.com/gpu`), memory limit + request, cpu request only;
    None when nothing is set."""
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    if gpus > 0:
        limits[GPU_RESOURCE] = requests[GPU_RESOURCE] = str(gpus)
    if memory:
        limits["memory"] = requests["memory"] = memory
    if cpu:
        requests["cpu"] = cpu
    result = {key: value for key, value in (("limits", limits), ("requests", requests)) if value}
    return result or None


def aggregated_resources(md: ModelDeployment) -> dict[str, Any] | None:
    """`container_resources` of the aggregated pool: effective GPU count (upstream's admission
    default included), `resources.memory` and `resources.cpu`."""
    resources = md.spec.resources
    return container_resources(
        common.gpu_count(md),
        resources.memory if resources is not None else None,
        resources.cpu if resources is not None else None,
    )


# -- storage (D4) ------------------------------------------------------------------------------------


def _volumes(md: ModelDeployment) -> tuple[StorageVolume, ...]:
    storage = md.spec.model.storage
    volumes = storage.volumes if storage is not None else None
    return tuple(defaults.effective_volume(volume, md.metadata.name or "") for volume in volumes or ())


def storage_volumes(md: ModelDeployment) -> list[dict[str, Any]]:
    """One pod volume per storage volume, bound to its claim (`claimName`, else `<md>-<volume>`)."""
    return [
        {
            "name": volume.name,
            "persistentVolumeClaim": {
                "claimName": volume.claim_name
                or defaults.derived_claim_name(md.metadata.name or "", volume.name)
            },
        }
        for volume in _volumes(md)
    ]


def storage_mounts(md: ModelDeployment) -> list[dict[str, Any]]:
    """One mount per volume with a resolvable path (purpose default or `mountPath`); `readOnly`
    only when true. A custom volume without a path gets a pod volume but no mount (upstream)."""
    mounts: list[dict[str, Any]] = []
    for volume in _volumes(md):
        if not volume.mount_path:
            continue
        mount: dict[str, Any] = {"name": volume.name, "mountPath": volume.mount_path}
        if volume.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
    return mounts


def hf_home_env(md: ModelDeployment) -> list[dict[str, Any]]:
    """`HF_HOME` at the first modelCache volume's path, as Dynamo sets it; nothing when there is
    no such volume or the user sets `HF_HOME` in `spec.env` (theirs then reaches the container)."""
    if any(var.name == HF_HOME for var in md.spec.env or ()):
        return []
    caches = (v for v in _volumes(md) if v.purpose is VolumePurpose.MODEL_CACHE and v.mount_path)
    first = next(caches, None)
    return [{"name": HF_HOME, "value": first.mount_path}] if first is not None else []


def container_env(md: ModelDeployment) -> list[dict[str, Any]]:
    """`HF_HOME` (storage), then `spec.env`, then the `HF_TOKEN` secret reference."""
    return [*hf_home_env(md), *common.env(md)]


# -- status (SPEC-providers §5.6) ---------------------------------------------------------------------


def map_deployment_status(primary: Manifest | None, port: int = HTTP_PORT) -> ProviderStatus:
    """Phase, message, replicas and endpoint of the primary Deployment; never raises.

    None (not created yet) is Pending with nothing else. Conditions, first match: Available=True →
    Running; Progressing=False/ProgressDeadlineExceeded → Failed; Progressing=True → Deploying;
    Available=False with a message → Failed; otherwise Pending. The endpoint is the Deployment's
    own name (its Service carries the same name) on `port`.
    """
    if not isinstance(primary, Mapping):
        return ProviderStatus(phase=Phase.PENDING)
    spec = _mapping(primary.get("spec"))
    status = _mapping(primary.get("status"))
    name = _mapping(primary.get("metadata")).get("name")
    phase, message = _phase(_conditions(status.get("conditions")))
    return ProviderStatus(
        phase=phase,
        message=message,
        desired=_count(spec.get("replicas")),
        ready=_count(status.get("readyReplicas")),
        available=_count(status.get("availableReplicas")),
        endpoint_service=name if isinstance(name, str) and name else None,
        endpoint_port=port if isinstance(name, str) and name else None,
    )


def _phase(conditions: Mapping[str, Mapping[str, str]]) -> tuple[Phase, str]:
    available = conditions.get("Available", {})
    progressing = conditions.get("Progressing", {})
    if available.get("status") == "True":
        return Phase.RUNNING, ""
    if progressing.get("status") == "False" and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Phase.FAILED, progressing.get("message") or ROLLOUT_TIMED_OUT
    if progressing.get("status") == "True":
        return Phase.DEPLOYING, ""
    if available.get("status") == "False" and available.get("message"):
        return Phase.FAILED, available["message"]
    return Phase.PENDING, ""


def _conditions(raw: Any) -> dict[str, dict[str, str]]:
    """Conditions by type (the last entry of a type wins, as upstream's map does); string fields
    only, anything malformed skipped."""
    by_type: dict[str, dict[str, str]] = {}
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("type"), str) and item["type"]:
            by_type[item["type"]] = {
                key: item[key] for key in ("status", "reason", "message") if isinstance(item.get(key), str)
            }
    return by_type


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: Any) -> int:
    """An integer replica count; 0 when absent or not an integer (bool excluded)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
