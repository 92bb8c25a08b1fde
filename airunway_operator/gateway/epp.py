"""The controller-managed Endpoint Picker of one ModelDeployment (SPEC-core §6.5).

ServiceAccount, Role, RoleBinding, ConfigMap, Deployment and Service, all `<md>-epp` in the
ModelDeployment's namespace and owned by it. A provider's `endpointPicker` capability may replace
the image and the plugin configuration.
"""

from __future__ import annotations

from typing import Final

from airunway_operator.api import constants
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import GatewayCapabilities
from airunway_operator.gateway import render
from airunway_operator.gateway.render import Manifest

HEALTH_PORT: Final = 9003
CONFIG_KEY: Final = "default-plugins.yaml"
CONFIG_DIR: Final = "/config"
HEALTH_SERVICE: Final = "inference-extension"
TERMINATION_GRACE_SECONDS: Final = 130
DEFAULT_CONFIG: Final = "apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n"

#: What the picker reads and writes; the operator must hold the same rights to grant them.
ROLE_RULES: Final = (
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]},
    {
        "apiGroups": ["inference.networking.k8s.io"],
        "resources": ["inferencepools"],
        "verbs": ["get", "watch", "list"],
    },
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]},
    {
        "apiGroups": ["inference.networking.x-k8s.io"],
        "resources": ["inferenceobjectives", "inferencemodelrewrites"],
        "verbs": ["get", "watch", "list"],
    },
)


def labels(md: ModelDeployment) -> dict[str, str]:
    return {
        constants.LABEL_APP_NAME: render.epp_name(md),
        constants.LABEL_APP_INSTANCE: md.metadata.name or "",
        constants.LABEL_APP_MANAGED_BY: constants.MANAGED_BY_VALUE,
    }


def render_stack(
    md: ModelDeployment, caps: GatewayCapabilities | None, *, image: str, port: int
) -> list[Manifest]:
    """Every Endpoint Picker object, in creation order (RBAC before the Deployment)."""
    picker = caps.endpoint_picker if caps is not None else None
    name = render.epp_name(md)
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": render.metadata(md, name, labels(md))},
        _role(md, name),
        _role_binding(md, name),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": render.metadata(md, name, labels(md)),
            "data": {CONFIG_KEY: (picker.config_data if picker and picker.config_data else DEFAULT_CONFIG)},
        },
        _deployment(md, name, (picker.image if picker and picker.image else image), port),
        _service(md, name, port),
    ]


def _role(md: ModelDeployment, name: str) -> Manifest:
    return {
        "apiVersion": render.ROLE.api_version,
        "kind": "Role",
        "metadata": render.metadata(md, name, labels(md)),
        "rules": [dict(rule) for rule in ROLE_RULES],
    }


def _role_binding(md: ModelDeployment, name: str) -> Manifest:
    return {
        "apiVersion": render.ROLE_BINDING.api_version,
        "kind": "RoleBinding",
        "metadata": render.metadata(md, name, labels(md)),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": md.metadata.namespace or ""}],
    }


def _container(md: ModelDeployment, image: str, port: int) -> dict[str, object]:
    probe_action = {"grpc": {"port": HEALTH_PORT, "service": HEALTH_SERVICE}}
    return {
        "name": "epp",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "--pool-name",
            md.metadata.name or "",
            "--pool-namespace",
            md.metadata.namespace or "",
            "--zap-encoder",
            "json",
            "--config-file",
            f"{CONFIG_DIR}/{CONFIG_KEY}",
            "--tracing=false",
        ],
        "ports": [
            {"name": "grpc", "containerPort": port, "protocol": "TCP"},
            {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        "env": [
            {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "livenessProbe": {
            **probe_action,
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "failureThreshold": 5,
        },
        "readinessProbe": {**probe_action, "initialDelaySeconds": 10, "periodSeconds": 5},
        "volumeMounts": [{"name": "plugins-config", "mountPath": CONFIG_DIR}],
    }


def _deployment(md: ModelDeployment, name: str, image: str, port: int) -> Manifest:
    pod_labels = labels(md)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": render.metadata(md, name, pod_labels),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": dict(pod_labels)},
            "template": {
                "metadata": {"labels": dict(pod_labels)},
                "spec": {
                    "serviceAccountName": name,
                    "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                    "containers": [_container(md, image, port)],
                    "volumes": [{"name": "plugins-config", "configMap": {"name": name}}],
                },
            },
        },
    }


def _service(md: ModelDeployment, name: str, port: int) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": render.metadata(md, name, labels(md)),
        "spec": {
            "type": "ClusterIP",
            "selector": labels(md),
            "ports": [
                {"name": "grpc-ext-proc", "protocol": "TCP", "port": port, "appProtocol": "kubernetes.io/h2c"}
            ],
        },
    }
