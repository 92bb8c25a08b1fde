"""Dynamo's InferenceProviderConfig: capabilities, selection rules and the UI annotations (§3.1).

Pure data. Annotation values are compact JSON written as upstream's Go writes them (struct fields
in declaration order, map keys sorted), so a UI built for upstream reads the same bytes. Mirrors
upstream `providers/dynamo/config.go`. The helm chart URL names the default Dynamo release: the
registration body is the same for every process, whatever `AIRUNWAY_DYNAMO_VERSION` says.
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

NAME: Final = "dynamo"
DISPLAY_NAME: Final = "Dynamo"
DESCRIPTION: Final = "NVIDIA Dynamo for high-performance GPU inference"
DEFAULT_NAMESPACE: Final = "dynamo-system"
DOCUMENTATION_URL: Final = "https://github.com/ai-runway/airunway/tree/main/docs/providers/dynamo.md"
DEFAULT_VERSION: Final = "1.1.1"
"""Upstream `versions.env` `DYNAMO_VERSION`."""
HELM_REPO_URL: Final = "https://helm.ngc.nvidia.com/nvidia/ai-dynamo"
CRD_NAME: Final = "dynamographdeployments.nvidia.com"

_GATEWAY: Final = GatewayCapabilities(
    manages_inference_pool=True,
    inference_pool_name_pattern="{name}-pool",
    inference_pool_namespace="{namespace}",
)
_BOTH_MODES: Final = (ServingMode.AGGREGATED, ServingMode.DISAGGREGATED)

SPEC: Final = InferenceProviderConfigSpec(
    capabilities=ProviderCapabilities(
        engines=(
            EngineCapability(
                name=EngineType.VLLM,
                serving_modes=_BOTH_MODES,
                api_formats=(ApiFormat.OPENAI_CHAT, ApiFormat.OPENAI_RESPONSES, ApiFormat.ANTHROPIC_MESSAGES),
                gpu_support=True,
                gateway=_GATEWAY,
            ),
            EngineCapability(
                name=EngineType.SGLANG,
                serving_modes=_BOTH_MODES,
                api_formats=(ApiFormat.OPENAI_CHAT, ApiFormat.ANTHROPIC_MESSAGES),
                gpu_support=True,
                gateway=_GATEWAY,
            ),
            EngineCapability(
                name=EngineType.TRTLLM,
                serving_modes=(ServingMode.AGGREGATED,),
                api_formats=(ApiFormat.OPENAI_CHAT, ApiFormat.OPENAI_RESPONSES),
                gpu_support=True,
                gateway=_GATEWAY,
            ),
        )
    ),
    selection_rules=(
        SelectionRule(condition="spec.engine.type == 'trtllm'", priority=100),
        SelectionRule(condition="spec.engine.type == 'sglang'", priority=100),
        SelectionRule(condition="has(spec.serving) && spec.serving.mode == 'disaggregated'", priority=90),
        SelectionRule(
            condition="has(spec.resources.gpu) && spec.resources.gpu.count > 0 && spec.engine.type == 'vllm'",
            priority=50,
        ),
    ),
)
"""`cpuSupport: false` is omitted, as Go's omitempty does (the KAITO config does the same)."""


def chart_url(version: str = DEFAULT_VERSION) -> str:
    return f"{HELM_REPO_URL}/charts/dynamo-platform-{version}.tgz"


def _install_command(version: str) -> str:
    return (
        f"helm upgrade --install dynamo-platform {chart_url(version)} --namespace {DEFAULT_NAMESPACE} "
        "--create-namespace --set-json global.grove.install=true"
    )


def installation(version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """InstallationInfo in Go's field order; the chart is a URL, so there is no version field."""
    return {
        "description": DESCRIPTION,
        "defaultNamespace": DEFAULT_NAMESPACE,
        "helmRepos": [{"name": "nvidia-ai-dynamo", "url": HELM_REPO_URL}],
        "helmCharts": [
            {
                "name": "dynamo-platform",
                "chart": chart_url(version),
                "namespace": DEFAULT_NAMESPACE,
                "createNamespace": True,
                "values": {"global.grove.install": True},
            }
        ],
        "steps": [
            {
                "title": "Install Dynamo Platform",
                "command": _install_command(version),
                "description": f"Install the NVIDIA Dynamo platform v{version} (operator, CRDs and Grove).",
            }
        ],
    }


# A Go map upstream: keys are written sorted.
HEALTH: Final[dict[str, Any]] = {
    "crds": [{"name": CRD_NAME, "displayName": "DynamoGraphDeployment CRD"}],
    "operatorPods": [
        {
            "namespace": DEFAULT_NAMESPACE,
            "selectors": [
                "control-plane=controller-manager,app.kubernetes.io/name=dynamo-operator,"
                "app.kubernetes.io/instance=dynamo-platform",
                "app.kubernetes.io/name=dynamo-operator",
                "control-plane=controller-manager",
            ],
        },
        {"selectors": ["app.kubernetes.io/name=dynamo-operator"]},
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
        installation=installation(),
    )


def config(version: str) -> Manifest:
    """The InferenceProviderConfig body to register; the operator `version` only reaches
    `status.version`, which the runtime writes."""
    del version
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": NAME, "annotations": ipc_annotations()},
        "spec": spec_body(),
    }
