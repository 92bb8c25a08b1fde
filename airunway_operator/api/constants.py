"""Names that identify our API on the wire: group, kinds, enums and well-known metadata keys.

Every value here is wire-relevant and spelled exactly as upstream AI Runway spells it
(SPEC-core §1), so dashboards, providers and manifests written for upstream keep working.
Pure data: no imports beyond the standard library.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# -- API identity -------------------------------------------------------------------------------

GROUP: Final = "airunway.ai"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"

#: Both kinds are listed by `kubectl get airunway`.
CATEGORY: Final = "airunway"

MODELDEPLOYMENT_KIND: Final = "ModelDeployment"
MODELDEPLOYMENT_LIST_KIND: Final = "ModelDeploymentList"
MODELDEPLOYMENT_PLURAL: Final = "modeldeployments"
MODELDEPLOYMENT_SINGULAR: Final = "modeldeployment"
#: Upstream ships no short names; ours are additive and do not clash with built-in resources.
MODELDEPLOYMENT_SHORT_NAMES: Final = ("mdep", "md")

PROVIDERCONFIG_KIND: Final = "InferenceProviderConfig"
PROVIDERCONFIG_LIST_KIND: Final = "InferenceProviderConfigList"
PROVIDERCONFIG_PLURAL: Final = "inferenceproviderconfigs"
PROVIDERCONFIG_SINGULAR: Final = "inferenceproviderconfig"
PROVIDERCONFIG_SHORT_NAMES: Final = ("ipc",)

# -- Enumerations ---------------------------------------------------------------------------------


class EngineType(StrEnum):
    """Inference engines a ModelDeployment can run; auto-selection prefers them in this order."""

    VLLM = "vllm"
    SGLANG = "sglang"
    TRTLLM = "trtllm"
    LLAMACPP = "llamacpp"


class ServingMode(StrEnum):
    """Whether prefill and decode run in the same workers or in separate pools."""

    AGGREGATED = "aggregated"
    DISAGGREGATED = "disaggregated"


class ModelSource(StrEnum):
    """Where the model weights come from."""

    HUGGINGFACE = "huggingface"
    CUSTOM = "custom"


class VolumePurpose(StrEnum):
    """What a storage volume is used for; drives the default mount path."""

    MODEL_CACHE = "modelCache"
    COMPILATION_CACHE = "compilationCache"
    CUSTOM = "custom"


class AccessMode(StrEnum):
    """PersistentVolumeClaim access modes accepted for controller-created claims."""

    READ_WRITE_ONCE = "ReadWriteOnce"
    READ_WRITE_MANY = "ReadWriteMany"
    READ_ONLY_MANY = "ReadOnlyMany"
    READ_WRITE_ONCE_POD = "ReadWriteOncePod"


class Phase(StrEnum):
    """Lifecycle phase shown in `status.phase`."""

    PENDING = "Pending"
    DEPLOYING = "Deploying"
    RUNNING = "Running"
    FAILED = "Failed"
    TERMINATING = "Terminating"


class ApiFormat(StrEnum):
    """Request/response contracts an engine can speak."""

    OPENAI_CHAT = "openai-chat"
    OPENAI_RESPONSES = "openai-responses"
    ANTHROPIC_MESSAGES = "anthropic-messages"


class ConditionStatus(StrEnum):
    """The three values of metav1.Condition `status`."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


# -- Defaults that are not expressed as CRD defaults ------------------------------------------------

DEFAULT_GPU_TYPE: Final = "nvidia.com/gpu"
DEFAULT_MODEL_CACHE_PATH: Final = "/model-cache"
DEFAULT_COMPILATION_CACHE_PATH: Final = "/compilation-cache"

# -- Well-known annotation and label keys (SPEC-core §1.3) ------------------------------------------

TRUE_VALUE: Final = "true"

#: MD annotation ("true"): the core and the providers skip reconciliation.
ANNOTATION_RECONCILE_PAUSED: Final = "airunway.ai/reconcile-paused"
#: MD annotation; with value `mocker` and provider `dynamo` GPU checks and gateway work are skipped.
ANNOTATION_DYNAMO_TEST_BACKEND: Final = "airunway.ai/dynamo-test-backend"
DYNAMO_TEST_BACKEND_MOCKER: Final = "mocker"
#: MD annotation ("true") written by the core once it created the HTTPRoute.
ANNOTATION_HTTPROUTE_CREATED: Final = "airunway.ai/httproute-created"
#: MD annotation ("true") written by the core after the one-shot body-based-router restart.
ANNOTATION_BBR_RESTARTED: Final = "airunway.ai/bbr-restarted"
#: Gateway annotation naming the namespace of the body-based-router Deployment.
ANNOTATION_BBR_NAMESPACE: Final = "airunway.ai/bbr-namespace"
#: Pod-template annotation on the body-based-router Deployment that triggers a rolling restart.
ANNOTATION_RESTARTED_AT: Final = "airunway.ai/restartedAt"

#: Label (value = MD name) on model pods, PVCs and Jobs; also the InferencePool selector.
LABEL_MODEL_DEPLOYMENT: Final = "airunway.ai/model-deployment"
#: Label (value `airunway`) on objects created by the storage library.
LABEL_MANAGED_BY: Final = "airunway.ai/managed-by"
MANAGED_BY_VALUE: Final = "airunway"
#: Label on the model download Job.
LABEL_JOB_TYPE: Final = "airunway.ai/job-type"
JOB_TYPE_MODEL_DOWNLOAD: Final = "model-download"
#: Gateway label ("true") that picks the gateway when several exist.
LABEL_INFERENCE_GATEWAY: Final = "airunway.ai/inference-gateway"

#: Standard app labels on the controller-managed Endpoint Picker.
LABEL_APP_NAME: Final = "app.kubernetes.io/name"
LABEL_APP_INSTANCE: Final = "app.kubernetes.io/instance"
LABEL_APP_MANAGED_BY: Final = "app.kubernetes.io/managed-by"

# IPC annotations, read only by the UI backend (SPEC-core §1.2).
ANNOTATION_DISPLAY_NAME: Final = "airunway.ai/display-name"
ANNOTATION_DESCRIPTION: Final = "airunway.ai/description"
ANNOTATION_DEFAULT_NAMESPACE: Final = "airunway.ai/default-namespace"
ANNOTATION_DOCUMENTATION_URL: Final = "airunway.ai/documentation-url"
ANNOTATION_DOCUMENTATION: Final = "airunway.ai/documentation"
ANNOTATION_CAPABILITIES: Final = "airunway.ai/capabilities"
ANNOTATION_HEALTH: Final = "airunway.ai/health"
ANNOTATION_INSTALLATION: Final = "airunway.ai/installation"
