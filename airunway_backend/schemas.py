"""Response shapes of the API, for the published OpenAPI description and as a check that every
answer keeps the contract the UI is built against."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from airunway_backend.catalog import Model

# Field names are the API's (camelCase).
# ruff: noqa: N815


class ClusterInfo(BaseModel):
    connected: bool
    version: str | None
    error: str | None


class AuthInfo(BaseModel):
    enabled: bool


class Health(BaseModel):
    status: str
    cluster: ClusterInfo
    auth: AuthInfo


class Names(BaseModel):
    items: list[str]


class Condition(BaseModel):
    type: str | None
    status: str | None
    reason: str | None
    message: str
    lastTransitionTime: str | None


class Replicas(BaseModel):
    desired: int
    ready: int
    available: int


class Endpoint(BaseModel):
    service: str | None
    port: int | None


class Summary(BaseModel):
    name: str | None
    namespace: str | None
    modelId: str | None
    engine: str | None
    provider: str | None
    mode: str
    phase: str
    replicas: Replicas
    endpoint: Endpoint | None
    message: str
    createdAt: str | None
    conditions: list[Condition]


class Created(Summary):
    warnings: list[str]


class Pod(BaseModel):
    name: str | None
    phase: str
    ready: bool
    restarts: int
    node: str | None
    reason: str | None
    message: str | None


class Event(BaseModel):
    type: str | None
    reason: str | None
    message: str
    count: int
    lastTimestamp: str | None
    object: str


class Detail(Summary):
    spec: dict[str, Any]
    pods: list[Pod]
    events: list[Event]


class Summaries(BaseModel):
    items: list[Summary]


class Logs(BaseModel):
    pod: str
    container: str | None
    logs: str


class Deleted(BaseModel):
    deleted: bool


class HubInfo(BaseModel):
    reachable: bool | None
    message: str


class Models(BaseModel):
    items: list[Model]
    hub: HubInfo


class Capabilities(BaseModel):
    engines: list[str]
    servingModes: list[str]
    gpu: bool
    cpu: bool


class Runtime(BaseModel):
    name: str | None
    displayName: str | None
    description: str
    documentationUrl: str | None
    defaultNamespace: str | None
    ready: bool
    version: str | None
    lastHeartbeat: str | None
    heartbeatAgeSeconds: int | None
    capabilities: Capabilities
    installation: dict[str, Any]
    installed: bool
    conditions: list[dict[str, Any]]


class Runtimes(BaseModel):
    items: list[Runtime]


class Installation(BaseModel):
    provider: str
    helmAvailable: bool
    commands: list[str]


class InstallResult(Installation):
    installed: bool
    manualCommands: list[str]
    output: str


class GpuNode(BaseModel):
    name: str | None
    pool: str
    product: str | None
    memoryMiB: int | None
    capacity: int
    allocatable: int
    allocated: int
    available: int
    ready: bool


class GpuPool(BaseModel):
    name: str
    product: str | None
    nodes: int
    capacity: int
    allocated: int
    available: int
    maxPerNode: int


class GpuCapacity(BaseModel):
    total: int
    allocated: int
    available: int
    maxPerNode: int
    nodes: list[GpuNode]
    pools: list[GpuPool]
