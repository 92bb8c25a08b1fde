"""The shared model base plus the meta/v1 types our kinds embed: ObjectMeta (a subset) and Condition.

`ApiModel` fixes the conventions of every typed API object: frozen, camelCase aliases on the
wire, snake_case names in Python, unknown input ignored (the API server prunes it anyway), and
attribute docstrings as field descriptions (they become `kubectl explain` text through `crdgen`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from airunway_operator.api import markers
from airunway_operator.api.constants import ConditionStatus


class ApiModel(BaseModel):
    """Base of every typed API object."""

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        use_attribute_docstrings=True,
    )


class ObjectMeta(ApiModel):
    """The part of metav1.ObjectMeta the operator reads; every other metadata field is ignored."""

    name: str | None = None
    """Name of the object, unique within its namespace (or cluster-wide for cluster-scoped kinds)."""

    namespace: str | None = None
    """Namespace of the object; empty for cluster-scoped kinds."""

    uid: str | None = None
    """Unique identifier assigned by the API server."""

    generation: int | None = None
    """Sequence number of the desired state, bumped by the API server on every spec change."""

    resource_version: str | None = None
    """Opaque version of the object used for optimistic concurrency."""

    creation_timestamp: datetime | None = None
    """When the object was created."""

    deletion_timestamp: datetime | None = None
    """When deletion was requested; set only while finalizers hold the object."""

    labels: dict[str, str] | None = None
    """Labels of the object."""

    annotations: dict[str, str] | None = None
    """Annotations of the object."""

    finalizers: tuple[str, ...] | None = None
    """Finalizers that must be removed before the object is deleted."""


ConditionType = Annotated[
    str,
    Field(
        max_length=316,
        pattern=(
            r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
        ),
    ),
]
ConditionReason = Annotated[
    str, Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
]


class Condition(ApiModel):
    """One observation of an aspect of the object's state (metav1.Condition)."""

    type: ConditionType
    """Kind of condition, in CamelCase (for example Ready, ProviderSelected or GatewayReady)."""

    status: ConditionStatus
    """Whether the condition holds: True, False or Unknown."""

    observed_generation: int | None = Field(default=None, ge=0, json_schema_extra=markers.INT64)
    """The metadata.generation the condition was computed from; older than the object means stale."""

    last_transition_time: datetime
    """When status last changed from one value to another."""

    reason: ConditionReason
    """Machine-readable CamelCase token explaining the last transition."""

    message: str = Field(max_length=32768)
    """Human-readable details about the last transition; may be empty."""
