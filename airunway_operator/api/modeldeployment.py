"""Typed ModelDeployment (airunway.ai/v1alpha1): the single source of its CRD schema and its parser.

Every field of SPEC-core §1.1 is declared once here, with its wire name (camelCase alias), type,
bounds, CRD default and description. Fields without a CRD default are optional and `None` when
absent, mirroring what the API server stores; a default here is exactly a CRD default, which the
API server applies only when the enclosing object is present. Pure: no client, no kopf.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from airunway_operator.api import celrules, constants, markers
from airunway_operator.api.constants import AccessMode, EngineType, ModelSource, ServingMode, VolumePurpose
from airunway_operator.api.corev1 import EnvVar, Quantity, Toleration
from airunway_operator.api.meta import ApiModel, ObjectMeta
from airunway_operator.api.modeldeployment_status import ModelDeploymentStatus

__all__ = [
    "ComponentScalingSpec",
    "EngineSpec",
    "GPUSpec",
    "GatewaySpec",
    "ModelDeployment",
    "ModelDeploymentSpec",
    "ModelDeploymentStatus",
    "ModelSpec",
    "PodTemplateMetadata",
    "PodTemplateSpec",
    "ProviderSpec",
    "ResourceSpec",
    "ScalingSpec",
    "SecretsSpec",
    "ServingSpec",
    "StorageSpec",
    "StorageVolume",
    "parse",
]

VolumeName = Annotated[str, Field(max_length=63, pattern=markers.DNS_LABEL_PATTERN)]
_MEMORY_RULES = markers.validations(*celrules.MEMORY)
_REPLICAS = markers.merge(markers.INT32, markers.schema_only(maximum=celrules.MAX_REPLICAS))


class StorageVolume(ApiModel):
    """A PersistentVolumeClaim mounted into the inference containers."""

    model_config = ConfigDict(json_schema_extra=markers.validations(*celrules.VOLUME))

    name: VolumeName
    """Unique name of the volume in this list (DNS label, at most 63 characters)."""

    claim_name: str | None = Field(
        default=None, json_schema_extra=markers.schema_only(maxLength=celrules.MAX_CLAIM_NAME_LENGTH)
    )
    """PersistentVolumeClaim in the same namespace. Required without size; with size it defaults to
    <deployment>-<volume> and must equal that name."""

    mount_path: str | None = Field(
        default=None, json_schema_extra=markers.schema_only(maxLength=celrules.MAX_MOUNT_PATH_LENGTH)
    )
    """Absolute path where the volume is mounted. Defaults to /model-cache for modelCache and
    /compilation-cache for compilationCache; required for custom."""

    purpose: VolumePurpose = VolumePurpose.CUSTOM
    """What the volume holds: modelCache (weights), compilationCache (compiled kernels) or custom.
    At most one volume per cache purpose."""

    read_only: bool = False
    """Mount the volume read-only. Not allowed together with size."""

    size: Quantity | None = Field(default=None, json_schema_extra=markers.validations(*celrules.SIZE))
    """Requested capacity (for example 100Gi). When set, a claim is created and owned by the deployment;
    when unset, claimName must name an existing claim."""

    storage_class_name: str | None = Field(default=None, json_schema_extra=markers.NULLABLE)
    """StorageClass for a created claim: absent uses the cluster default, "" disables dynamic
    provisioning. Only allowed with size."""

    access_mode: AccessMode | None = None
    """Access mode of a created claim; ReadWriteMany when empty. Only allowed with size."""


class StorageSpec(ApiModel):
    """Persistent storage for model weights and caches."""

    volumes: tuple[StorageVolume, ...] | None = Field(
        default=None,
        max_length=8,
        json_schema_extra=markers.merge(markers.list_map("name"), markers.validations(*celrules.VOLUMES)),
    )
    """Volumes to mount (at most 8), keyed by name."""


class ModelSpec(ApiModel):
    """Which model to serve."""

    model_config = ConfigDict(json_schema_extra=markers.validations(*celrules.MODEL))

    id: str | None = None
    """Model identifier, for example a Hugging Face repository such as Qwen/Qwen2.5-0.5B-Instruct.
    Required when source is huggingface; cannot be changed after creation."""

    served_name: str | None = None
    """Model name exposed by the API and used for gateway routing; ignored when source is custom."""

    source: ModelSource = ModelSource.HUGGINGFACE
    """Where the weights come from: huggingface, or custom (baked into the image). Immutable."""

    storage: StorageSpec | None = None
    """Persistent volumes for weights and caches."""


class ProviderSpec(ApiModel):
    """Explicit provider choice and provider-specific settings."""

    name: str | None = None
    """Provider to use (kaito, dynamo, kuberay, llmd, vllm, ...). Omit it to let the controller choose;
    once set or chosen it cannot be switched to another provider."""

    overrides: dict[str, Any] | None = Field(default=None, json_schema_extra=markers.PRESERVE_UNKNOWN_FIELDS)
    """Free-form object deep-merged into the provider's rendered resources. Keys that affect security
    or sizing (securityContext, serviceAccountName, hostNetwork, replicas, resources, ...) are
    rejected at any depth."""


class EngineSpec(ApiModel):
    """Inference engine settings. When absent, the boolean defaults below do not apply."""

    model_config = ConfigDict(json_schema_extra=markers.validations(*celrules.ENGINE))

    type: EngineType | None = None
    """Engine to run: vllm, sglang, trtllm or llamacpp. Omit it to let the controller pick one from the
    registered providers' capabilities; once set it cannot be changed to another engine."""

    image: str | None = None
    """Container image for the engine; must match spec.image when both are set."""

    context_length: int | None = Field(default=None, json_schema_extra=markers.INT32)
    """Maximum context length in tokens (for example --max-model-len for vLLM)."""

    trust_remote_code: bool = False
    """Allow the engine to run code shipped with the model repository."""

    enable_prefix_caching: bool = True
    """Reuse the KV cache across requests sharing a prefix (vLLM and SGLang)."""

    enforce_eager: bool = False
    """Run in eager mode without CUDA graphs (vLLM and SGLang)."""

    args: dict[str, str] | None = None
    """Engine flags by bare name (no leading dashes); an empty value passes the flag alone."""

    extra_args: tuple[str, ...] | None = Field(
        default=None,
        json_schema_extra=markers.schema_only(
            maxItems=celrules.MAX_EXTRA_ARGS,
            items={"type": "string", "maxLength": celrules.MAX_EXTRA_ARG_LENGTH},
        ),
    )
    """Raw command-line tokens appended after the generated flags; a --flag here must not also be a
    key of args."""


class ServingSpec(ApiModel):
    """How requests are served."""

    mode: ServingMode = ServingMode.AGGREGATED
    """aggregated (one pool does prefill and decode) or disaggregated (separate prefill and decode
    pools configured under scaling). Immutable."""


class GPUSpec(ApiModel):
    """GPUs per replica."""

    count: int = Field(
        default=0,
        ge=0,
        json_schema_extra=markers.merge(markers.INT32, markers.schema_only(maximum=celrules.MAX_GPU_COUNT)),
    )
    """Number of GPUs (at most 64)."""

    type: str = constants.DEFAULT_GPU_TYPE
    """Extended resource name of the GPU, for example amd.com/gpu."""


class ComponentScalingSpec(ApiModel):
    """Size of the prefill or the decode pool in disaggregated mode."""

    replicas: int = Field(default=1, ge=0, json_schema_extra=_REPLICAS)
    """Number of replicas of this component (at most 32)."""

    gpu: GPUSpec | None = None
    """GPUs per replica of this component; a count above 0 is required in disaggregated mode."""

    memory: str | None = Field(default=None, json_schema_extra=_MEMORY_RULES)
    """Memory per replica of this component as a quantity, for example 64Gi (at most 4Ti)."""


class ScalingSpec(ApiModel):
    """Replica counts."""

    replicas: int = Field(default=1, ge=0, json_schema_extra=_REPLICAS)
    """Number of replicas in aggregated mode (at most 32)."""

    prefill: ComponentScalingSpec | None = None
    """Prefill workers; required in disaggregated mode."""

    decode: ComponentScalingSpec | None = None
    """Decode workers; required in disaggregated mode."""


class ResourceSpec(ApiModel):
    """Compute per replica in aggregated mode; use scaling.prefill/decode in disaggregated mode."""

    gpu: GPUSpec | None = None
    """GPUs per replica; must be absent or 0 in disaggregated mode."""

    memory: str | None = Field(default=None, json_schema_extra=_MEMORY_RULES)
    """Memory per replica as a quantity, for example 32Gi (at most 4Ti)."""

    cpu: str | None = Field(default=None, json_schema_extra=markers.validations(*celrules.CPU))
    """CPU per replica as a quantity, for example 4 or 500m (at most 512)."""


class PodTemplateMetadata(ApiModel):
    """Labels and annotations for the pods a provider creates."""

    labels: dict[str, str] | None = None
    """Labels added to the created pods."""

    annotations: dict[str, str] | None = None
    """Annotations added to the created pods."""


class PodTemplateSpec(ApiModel):
    """Customisation of the pods a provider creates."""

    metadata: PodTemplateMetadata | None = None
    """Extra pod labels and annotations."""


class SecretsSpec(ApiModel):
    """Secrets the serving pods need."""

    hugging_face_token: str | None = None
    """Name of a Secret in the same namespace whose HF_TOKEN key authenticates to Hugging Face."""


class GatewaySpec(ApiModel):
    """Gateway API Inference Extension routing."""

    enabled: bool | None = Field(default=None, json_schema_extra=markers.NULLABLE)
    """Create an InferencePool and an HTTPRoute for this model. Absent means enabled whenever the
    Gateway API Inference Extension is installed; only false turns it off."""

    model_name: str | None = None
    """Model name matched by the route; defaults to the served name or discovered name."""

    http_route_ref: str | None = None
    """Name of an existing HTTPRoute in this namespace to use instead of creating one."""


class ModelDeploymentSpec(ApiModel):
    """Desired state of a ModelDeployment."""

    model_config = ConfigDict(json_schema_extra=markers.validations(*celrules.SPEC))

    model: ModelSpec
    """The model to serve."""

    provider: ProviderSpec | None = None
    """Provider selection and provider-specific overrides."""

    engine: EngineSpec | None = None
    """Inference engine configuration."""

    serving: ServingSpec | None = None
    """Serving mode."""

    scaling: ScalingSpec | None = None
    """Replica counts, and the prefill/decode pools in disaggregated mode."""

    resources: ResourceSpec | None = None
    """Compute per replica in aggregated mode."""

    image: str | None = None
    """Legacy container image override; prefer engine.image. Both may be set only to the same value."""

    env: tuple[EnvVar, ...] | None = None
    """Environment variables for the serving containers."""

    pod_template: PodTemplateSpec | None = None
    """Labels and annotations for the created pods."""

    secrets: SecretsSpec | None = None
    """Secrets the serving pods need."""

    gateway: GatewaySpec | None = None
    """Gateway routing settings."""

    node_selector: dict[str, str] | None = None
    """Node labels the serving pods must be scheduled on."""

    tolerations: tuple[Toleration, ...] | None = None
    """Taints the serving pods tolerate."""


class ModelDeployment(ApiModel):
    """A model served on Kubernetes through one of several inference providers."""

    model_config = ConfigDict(json_schema_extra=markers.validations(*celrules.ROOT))

    api_version: str = constants.API_VERSION
    """Versioned schema of this object (airunway.ai/v1alpha1)."""

    kind: str = constants.MODELDEPLOYMENT_KIND
    """Kind of this object (ModelDeployment)."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""

    spec: ModelDeploymentSpec
    """Desired state: model, engine, provider, resources and routing."""

    status: ModelDeploymentStatus | None = None
    """Observed state, written by the core controller and the selected provider."""

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ModelDeployment:
        """Build the typed object from a raw body (a dict or kopf's Body); unknown fields are dropped."""
        return cls.model_validate(dict(body))


def parse(body: Mapping[str, Any]) -> ModelDeployment:
    """Build a typed ModelDeployment from a raw body; raises pydantic.ValidationError naming the field."""
    return ModelDeployment.parse(body)
