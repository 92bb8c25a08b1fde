"""The InferenceProviderConfig `vllm` registers (SPEC-providers §6.1). Pure data.

Direct vLLM writes only two annotations, `airunway.ai/installation` and `airunway.ai/documentation`
(no display name, description, capabilities or health annotation), and has no selection rules, so
it competes at priority 0 (D20).
"""

from __future__ import annotations

from typing import Any, Final

from airunway_operator.sdk import ApiFormat, EngineType, ServingMode, constants
from providers import common
from providers.base import Manifest

NAME: Final = "vllm"
DISPLAY_NAME: Final = "Direct vLLM"
DOCUMENTATION_URL: Final = "https://github.com/ai-runway/airunway/tree/main/docs/providers/vllm.md"

#: Upstream `GetInstallationInfo()`, in Go's field order (description, steps[title, command,
#: description]); empty fields are omitted as Go's `omitempty` does.
INSTALLATION: Final[dict[str, Any]] = {
    "description": (
        "vLLM provider: deploys vLLM Deployments + Services directly. "
        "Requires GPU nodes with the NVIDIA device plugin."
    ),
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
                "kubectl create secret generic vllm-hf-token --from-literal=HF_TOKEN=<your-token> "
                "-n <model-namespace>"
            ),
            "description": (
                "Create the HuggingFace token secret in the same namespace as your ModelDeployment."
            ),
        },
    ],
}


def spec() -> dict[str, Any]:
    """`spec`: one engine, vLLM, aggregated only, GPU only, all three API formats; no rules."""
    return {
        "capabilities": {
            "engines": [
                {
                    "name": EngineType.VLLM.value,
                    "servingModes": [ServingMode.AGGREGATED.value],
                    "apiFormats": [
                        ApiFormat.OPENAI_CHAT.value,
                        ApiFormat.OPENAI_RESPONSES.value,
                        ApiFormat.ANTHROPIC_MESSAGES.value,
                    ],
                    "gpuSupport": True,
                    "cpuSupport": False,
                }
            ]
        }
    }


def ipc_annotations() -> dict[str, str]:
    return {
        constants.ANNOTATION_INSTALLATION: common.go_json(INSTALLATION),
        constants.ANNOTATION_DOCUMENTATION: DOCUMENTATION_URL,
    }


def config(version: str) -> Manifest:
    """The InferenceProviderConfig body; `version` only reaches `status.version`, which the
    runtime writes, so the body is the same for every operator version."""
    del version
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": NAME, "annotations": ipc_annotations()},
        "spec": spec(),
    }
