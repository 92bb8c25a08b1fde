"""The InferenceProviderConfig `kuberay` registers (SPEC-providers §4.1). Pure data.

Annotation values are compact JSON as upstream's Go writes them: InstallationInfo in struct
declaration order, the health map with sorted keys. Readiness is "CRD presence" (the runtime asks
whether `rayservices.ray.io` exists). Mirrors upstream `providers/kuberay/config.go`; the operator
namespace is `ray-system` everywhere (decision D22).
"""

from __future__ import annotations

from typing import Any, Final

from airunway_operator.sdk import (
    ApiFormat,
    EngineCapability,
    EngineType,
    InferenceProviderConfigSpec,
    ProviderCapabilities,
    SelectionRule,
    ServingMode,
    constants,
)
from providers import common
from providers.base import Manifest

NAME: Final = "kuberay"
DISPLAY_NAME: Final = "KubeRay"
# Upstream's wording (config.go `GetInstallationInfo`), which the UI shows verbatim.
DESCRIPTION: Final = "Ray Serve via KubeRay for distributed Ray-based model serving with vLLM"
DEFAULT_NAMESPACE: Final = "ray-system"
DOCUMENTATION_URL: Final = "https://github.com/ai-runway/airunway/tree/main/docs/providers/kuberay.md"
CHART_VERSION: Final = "1.3.0"
HELM_REPO_URL: Final = "https://ray-project.github.io/kuberay-helm/"
CRD_NAME: Final = "rayservices.ray.io"

SPEC: Final = InferenceProviderConfigSpec(
    capabilities=ProviderCapabilities(
        engines=(
            EngineCapability(
                name=EngineType.VLLM,
                serving_modes=(ServingMode.AGGREGATED, ServingMode.DISAGGREGATED),
                # Ray Serve's OpenAI app exposes chat/completions only, not responses or messages.
                api_formats=(ApiFormat.OPENAI_CHAT,),
                gpu_support=True,
            ),
        )
    ),
    selection_rules=(
        SelectionRule(
            condition="has(spec.resources.gpu) && spec.resources.gpu.count > 1 && spec.engine.type == 'vllm'",
            priority=80,
        ),
    ),
)

_INSTALL_COMMAND: Final = (
    f"helm upgrade --install kuberay-operator kuberay/kuberay-operator --version {CHART_VERSION} "
    f"-n {DEFAULT_NAMESPACE} --create-namespace --wait"
)

# Field order is Go's InstallationInfo / HelmChart / InstallationStep declaration order.
INSTALLATION: Final[dict[str, Any]] = {
    "description": DESCRIPTION,
    "defaultNamespace": DEFAULT_NAMESPACE,
    "helmRepos": [{"name": "kuberay", "url": HELM_REPO_URL}],
    "helmCharts": [
        {
            "name": "kuberay-operator",
            "chart": "kuberay/kuberay-operator",
            "version": CHART_VERSION,
            "namespace": DEFAULT_NAMESPACE,
            "createNamespace": True,
        }
    ],
    "steps": [
        {
            "title": "Add KubeRay Helm Repository",
            "command": f"helm repo add kuberay {HELM_REPO_URL}",
            "description": "Add the KubeRay Helm repository.",
        },
        {
            "title": "Update Helm Repositories",
            "command": "helm repo update",
            "description": "Update local Helm repository cache.",
        },
        {
            "title": "Install KubeRay Operator",
            "command": _INSTALL_COMMAND,
            "description": f"Install the KubeRay operator v{CHART_VERSION}.",
        },
    ],
}

_OPERATOR_NAME: Final = "app.kubernetes.io/name=kuberay-operator"

# A Go map upstream: keys are written sorted.
HEALTH: Final[dict[str, Any]] = {
    "crds": [{"name": CRD_NAME, "displayName": "KubeRay RayService CRD"}],
    "operatorPods": [
        {
            "namespace": DEFAULT_NAMESPACE,
            "selectors": [f"{_OPERATOR_NAME},app.kubernetes.io/instance=kuberay-operator", _OPERATOR_NAME],
        },
        {"selectors": [_OPERATOR_NAME]},
    ],
}


def spec_body() -> dict[str, Any]:
    """`spec` as written to the API server (camelCase, absent fields omitted)."""
    return SPEC.model_dump(mode="json", by_alias=True, exclude_none=True)


def ipc_annotations() -> dict[str, str]:
    """The IPC annotations the UI reads; registration merges them over foreign keys."""
    return common.ui_annotations(
        display_name=DISPLAY_NAME,
        description=DESCRIPTION,
        default_namespace=DEFAULT_NAMESPACE,
        documentation_url=DOCUMENTATION_URL,
        capabilities=spec_body()["capabilities"],
        health=HEALTH,
        installation=INSTALLATION,
    )


def config(version: str) -> Manifest:
    """The InferenceProviderConfig body to register; `version` only reaches `status.version`,
    which the runtime writes, so the body is the same for every operator version."""
    del version
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": NAME, "annotations": ipc_annotations()},
        "spec": spec_body(),
    }
