"""The core/v1 types a ModelDeployment embeds unchanged: EnvVar (with every source) and Toleration.

Shapes, required fields and defaults follow the Kubernetes API so manifests written for a pod
spec can be pasted into `spec.env` and `spec.tolerations` as they are. `Quantity` is the
int-or-string resource quantity shared with the storage API.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import ConfigDict, Field

from airunway_operator.api import markers
from airunway_operator.api.meta import ApiModel

#: A resource quantity as written in manifests: `10`, `"10Gi"`, `"500m"`.
Quantity: TypeAlias = int | Annotated[str, Field(pattern=markers.QUANTITY_PATTERN)]


class ObjectFieldSelector(ApiModel):
    """Selects a field of the pod, such as metadata.name or status.podIP."""

    model_config = ConfigDict(json_schema_extra=markers.ATOMIC_MAP)

    api_version: str | None = None
    """API version the field path is written against; "v1" when empty."""

    field_path: str
    """Path of the field to expose, for example status.podIP."""


class ResourceFieldSelector(ApiModel):
    """Selects a resource request or limit of a container (limits.cpu, requests.memory, ...)."""

    model_config = ConfigDict(json_schema_extra=markers.ATOMIC_MAP)

    container_name: str | None = None
    """Container whose resources are read; optional for environment variables."""

    resource: str
    """The resource to expose, for example limits.memory."""

    divisor: Quantity | None = None
    """Unit the value is divided by before it is exposed; "1" when empty."""


class ConfigMapKeySelector(ApiModel):
    """Selects one key of a ConfigMap in the pod's namespace."""

    model_config = ConfigDict(json_schema_extra=markers.ATOMIC_MAP)

    name: str = ""
    """Name of the ConfigMap (effectively required)."""

    key: str
    """Key to read from the ConfigMap."""

    optional: bool | None = None
    """Allow the ConfigMap or the key to be missing."""


class SecretKeySelector(ApiModel):
    """Selects one key of a Secret in the pod's namespace."""

    model_config = ConfigDict(json_schema_extra=markers.ATOMIC_MAP)

    name: str = ""
    """Name of the Secret (effectively required)."""

    key: str
    """Key to read from the Secret."""

    optional: bool | None = None
    """Allow the Secret or the key to be missing."""


class FileKeySelector(ApiModel):
    """Selects one key of an env file inside a volume (needs the EnvFiles feature gate)."""

    model_config = ConfigDict(json_schema_extra=markers.ATOMIC_MAP)

    volume_name: str
    """Name of the volume mount that holds the env file."""

    path: str
    """Relative path of the env file inside the volume."""

    key: str
    """Key to read from the env file."""

    optional: bool = False
    """When true a missing file or key leaves the variable unset instead of failing the pod."""


class EnvVarSource(ApiModel):
    """Where the value of an environment variable comes from; exactly one source is set."""

    field_ref: ObjectFieldSelector | None = None
    """Take the value from a field of the pod."""

    resource_field_ref: ResourceFieldSelector | None = None
    """Take the value from a container resource request or limit."""

    config_map_key_ref: ConfigMapKeySelector | None = None
    """Take the value from a key of a ConfigMap."""

    secret_key_ref: SecretKeySelector | None = None
    """Take the value from a key of a Secret."""

    file_key_ref: FileKeySelector | None = None
    """Take the value from a key of an env file in a volume."""


class EnvVar(ApiModel):
    """An environment variable for the serving containers."""

    name: str
    """Name of the variable; any printable ASCII except '='."""

    value: str | None = None
    """Literal value; $(VAR) references to earlier variables are expanded. Empty when valueFrom is set."""

    value_from: EnvVarSource | None = None
    """Read the value from another object instead of giving it literally."""


class Toleration(ApiModel):
    """Lets the serving pods schedule onto nodes with a matching taint."""

    key: str | None = None
    """Taint key to match; empty matches every key (then operator must be Exists)."""

    operator: str | None = None
    """How key and value are compared: Equal (default), Exists, Lt or Gt."""

    value: str | None = None
    """Taint value to match; empty with operator Exists."""

    effect: str | None = None
    """Taint effect to match (NoSchedule, PreferNoSchedule or NoExecute); empty matches all."""

    toleration_seconds: int | None = Field(default=None, json_schema_extra=markers.INT64)
    """For NoExecute taints: how long the pod stays bound after the taint appears; unset means forever."""
