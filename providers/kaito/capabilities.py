"""KAITO's InferenceProviderConfig: capabilities, selection rules and the UI annotations (§2.1).

Pure data. Annotation values are compact JSON written as upstream's Go writes them (struct fields
in declaration order, map keys sorted), so a UI built for upstream reads the same bytes. Mirrors
upstream `providers/kaito/config.go`.
"""

from __future__ import annotations

from typing import Any, Final

from airunway_operator.sdk import (
    ApiFormat,
    EngineCapability,
    EngineType,
    GatewayCapabilities,
    InferenceProviderConfigSpec,
    ProviderCapabilities,
    SelectionRule,
    ServingMode,
    constants,
)
from providers import common
from providers.base import Manifest

NAME: Final = "kaito"
DISPLAY_NAME: Final = "KAITO"
DESCRIPTION: Final = "Kubernetes AI Toolchain Operator for simplified model deployment"
DEFAULT_NAMESPACE: Final = "kaito-workspace"
DOCUMENTATION_URL: Final = "https://github.com/ai-runway/airunway/tree/main/docs/providers/kaito.md"
CHART_VERSION: Final = "0.10.0"
HELM_REPO_URL: Final = "https://kaito-project.github.io/kaito/charts/kaito"

SPEC: Final = InferenceProviderConfigSpec(
    capabilities=ProviderCapabilities(
        engines=(
            EngineCapability(
                name=EngineType.VLLM,
                serving_modes=(ServingMode.AGGREGATED,),
                api_formats=(ApiFormat.OPENAI_CHAT, ApiFormat.OPENAI_RESPONSES, ApiFormat.ANTHROPIC_MESSAGES),
                gpu_support=True,
            ),
            EngineCapability(
                name=EngineType.LLAMACPP,
                serving_modes=(ServingMode.AGGREGATED,),
                api_formats=(ApiFormat.OPENAI_CHAT,),
                gpu_support=True,
                cpu_support=True,
                # KAITO's llama.cpp pods expose no OpenAI-style served name, so gateway routing
                # falls back to spec.model.id.
                gateway=GatewayCapabilities(ignores_served_name=True),
            ),
        )
    ),
    selection_rules=(
        SelectionRule(condition="!has(spec.resources.gpu) || spec.resources.gpu.count == 0", priority=100),
        SelectionRule(condition="spec.engine.type == 'llamacpp'", priority=100),
    ),
)
"""`requiresCRD` is left unset (read as true); `cpuSupport: false` is omitted, as Go's omitempty does."""

_INSTALL_COMMAND: Final = (
    f"helm upgrade --install kaito-workspace kaito/workspace --version {CHART_VERSION} "
    f"-n {DEFAULT_NAMESPACE} --create-namespace --set featureGates.disableNodeAutoProvisioning=true "
    "--set nvidiaDevicePlugin.enabled=false --set localCSIDriver.useLocalCSIDriver=false "
    "--set gpu-feature-discovery.gfd.enabled=false --set gpu-feature-discovery.nfd.master.deploy=false "
    "--set gpu-feature-discovery.nfd.worker.deploy=false --wait"
)

# Field order is Go's InstallationInfo / HelmChart / InstallationStep declaration order.
INSTALLATION: Final[dict[str, Any]] = {
    "description": DESCRIPTION,
    "defaultNamespace": DEFAULT_NAMESPACE,
    "helmRepos": [{"name": "kaito", "url": HELM_REPO_URL}],
    "helmCharts": [
        {
            "name": "kaito-workspace",
            "chart": "kaito/workspace",
            "version": CHART_VERSION,
            "namespace": DEFAULT_NAMESPACE,
            "createNamespace": True,
        }
    ],
    "steps": [
        {
            "title": "Add KAITO Helm Repository",
            "command": f"helm repo add kaito {HELM_REPO_URL}",
            "description": "Add the KAITO Helm repository.",
        },
        {
            "title": "Update Helm Repositories",
            "command": "helm repo update kaito",
            "description": "Update local Helm repository cache.",
        },
        {
            "title": "Install KAITO Workspace Operator",
            "command": _INSTALL_COMMAND,
            "description": (
                f"Install the KAITO workspace operator v{CHART_VERSION} with Node Auto-Provisioning "
                "disabled (BYO nodes mode), and sub-chart dependencies disabled."
            ),
        },
    ],
}

# A Go map upstream: keys are written sorted.
HEALTH: Final[dict[str, Any]] = {
    "crds": [{"name": "workspaces.kaito.sh", "displayName": "KAITO workspace CRD"}],
    "operatorPods": [
        {
            "namespace": DEFAULT_NAMESPACE,
            "selectors": [
                "app.kubernetes.io/name=workspace,app.kubernetes.io/instance=kaito-workspace",
                "app.kubernetes.io/name=workspace",
            ],
        },
        {"selectors": ["app.kubernetes.io/name=workspace", "app=ai-toolchain-operator"]},
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
    """The InferenceProviderConfig body to register. Nothing in it depends on the operator
    `version` (that goes to `status.version`); the parameter is the protocol's."""
    del version
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": NAME, "annotations": ipc_annotations()},
        "spec": spec_body(),
    }
