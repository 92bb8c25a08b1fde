"""The InferenceProviderConfig `llmd` registers (SPEC-providers §5.1, §5.2). Pure data.

llm-d needs no CRD (`requiresCRD: false`) and has no selection rules, so it competes at priority 0
(D20). Its special part is the gateway block: the core deploys the llm-d inference scheduler as the
Endpoint Picker with the `EndpointPickerConfig` below (upstream `providers/llmd/config.go`), while
still creating the InferencePool, the picker's RBAC, Service and HTTPRoute itself. Annotation
values are compact JSON in Go's field order, as upstream's UI reads them.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from airunway_operator.sdk import ApiFormat, EngineType, ServingMode, constants
from providers import common
from providers.base import Manifest

NAME: Final = "llmd"
DISPLAY_NAME: Final = "llm-d"
DEFAULT_NAMESPACE: Final = "default"
"""Upstream's fallback: the installation info names no namespace."""
DOCUMENTATION_URL: Final = "https://github.com/ai-runway/airunway/tree/main/docs/providers/llmd.md"
SCHEDULER_VERSION: Final = "v0.6.0"
"""Upstream `versions.env` `LLMD_VERSION`."""
SCHEDULER_IMAGE: Final = f"ghcr.io/llm-d/llm-d-inference-scheduler:{SCHEDULER_VERSION}"

#: The heuristic scheduling profile: drop prefill-only pods, score by prefix-cache locality
#: (weight 2) and pick the best. Needs no special vLLM flags (no KV events).
ENDPOINT_PICKER_CONFIG: Final[dict[str, Any]] = {
    "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
    "kind": "EndpointPickerConfig",
    "plugins": [
        {"type": "prefix-cache-scorer"},
        {"type": "decode-filter"},
        {"type": "max-score-picker"},
        {"type": "single-profile-handler"},
    ],
    "schedulingProfiles": [
        {
            "name": "default",
            "plugins": [
                {"pluginRef": "decode-filter"},
                {"pluginRef": "max-score-picker"},
                {"pluginRef": "prefix-cache-scorer", "weight": 2},
            ],
        }
    ],
}
#: `configData`: the config as YAML text, block style in the order above (upstream's exact bytes).
CONFIG_DATA: Final = yaml.safe_dump(ENDPOINT_PICKER_CONFIG, sort_keys=False, default_flow_style=False)

DESCRIPTION: Final = (
    "llm-d provider: deploys vLLM Deployments + Services directly. "
    "Requires GPU nodes with the NVIDIA device plugin."
)

#: Upstream `GetInstallationInfo()` in Go's field order; empty fields omitted (omitempty).
INSTALLATION: Final[dict[str, Any]] = {
    "description": DESCRIPTION,
    "steps": [
        {
            "title": "Install NVIDIA GPU Device Plugin",
            "command": (
                "kubectl apply -f https://raw.githubusercontent.com/NVIDIA/k8s-device-plugin/v0.17.0/"
                "deployments/static/nvidia-device-plugin.yml"
            ),
            "description": (
                "Install the NVIDIA device plugin so GPU nodes advertise nvidia.com/gpu resources."
            ),
        },
        {
            "title": "Create HuggingFace Token Secret",
            "command": (
                "kubectl create secret generic llm-d-hf-token --from-literal=HF_TOKEN=<your-token> "
                "-n <model-namespace>"
            ),
            "description": (
                "Create the HuggingFace token secret in the same namespace as your ModelDeployment."
            ),
        },
    ],
}

# A Go map upstream: keys are written sorted.
HEALTH: Final[dict[str, Any]] = {"status": {"readyPath": "ready"}}


def spec() -> dict[str, Any]:
    """`spec`: vLLM in both serving modes on GPUs, no CRD, the llm-d Endpoint Picker; no rules.

    Keys in Go's declaration order; `cpuSupport: false`, `managesInferencePool: false` and the
    empty selection rules are omitted, as Go's omitempty does."""
    return {
        "capabilities": {
            "engines": [
                {
                    "name": EngineType.VLLM.value,
                    "servingModes": [ServingMode.AGGREGATED.value, ServingMode.DISAGGREGATED.value],
                    "apiFormats": [
                        ApiFormat.OPENAI_CHAT.value,
                        ApiFormat.OPENAI_RESPONSES.value,
                        ApiFormat.ANTHROPIC_MESSAGES.value,
                    ],
                    "gpuSupport": True,
                    "requiresCRD": False,
                    "gateway": {"endpointPicker": {"image": SCHEDULER_IMAGE, "configData": CONFIG_DATA}},
                }
            ]
        }
    }


def ipc_annotations() -> dict[str, str]:
    """The IPC annotations the UI reads; registration merges them over foreign keys."""
    return common.ui_annotations(
        display_name=DISPLAY_NAME,
        description=DESCRIPTION,
        default_namespace=DEFAULT_NAMESPACE,
        documentation_url=DOCUMENTATION_URL,
        capabilities=spec()["capabilities"],
        health=HEALTH,
        installation=INSTALLATION,
    )


def config(version: str) -> Manifest:
    """The InferenceProviderConfig body; `version` only reaches `status.version` (the runtime's)."""
    del version
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": NAME, "annotations": ipc_annotations()},
        "spec": spec(),
    }
