"""The provider plug-in protocol: a provider is data plus pure functions, run by one shared runtime.

A provider never talks to the cluster. The runtime (`airunway_operator.reconcile.provider`) claims
the ModelDeployments whose `status.provider.name` is the provider's name, calls `render` and
applies the result, watches the rendered kinds, and folds `map_status` of the primary target into
the ModelDeployment's status. Third parties add a provider by exposing a `Provider` under the
`airunway.providers` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment

Manifest: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class TargetKind:
    """A kind the provider renders (and the runtime watches)."""

    api_version: str
    kind: str
    plural: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


@dataclass(frozen=True)
class RenderContext:
    """Everything a renderer may use besides the ModelDeployment itself; built from settings."""

    engine: EngineType
    """The resolved engine: spec.engine.type, else the core's status.engine.type."""
    settings: Mapping[str, str] = field(default_factory=dict)
    """Provider settings by name (for example KAITO's node auto-provisioning instance types)."""
    image: str | None = None
    """An image chosen by the provider's pre-step (vLLM's resolved default image), if any."""


@dataclass(frozen=True)
class ConditionUpdate:
    """A condition the provider wants on the ModelDeployment (the runtime stamps time and generation)."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str


@dataclass(frozen=True)
class ProviderStatus:
    """What the primary target says about the deployment; the runtime writes it into MD status."""

    phase: Phase
    message: str = ""
    desired: int | None = None
    ready: int | None = None
    available: int | None = None
    endpoint_service: str | None = None
    endpoint_port: int | None = None
    conditions: tuple[ConditionUpdate, ...] = ()


@dataclass(frozen=True)
class PreStep:
    """Result of a provider pre-step run before rendering (for example vLLM image resolution)."""

    context: RenderContext
    status: Mapping[str, Any] = field(default_factory=dict)
    """Extra status fields the provider owns (for example `image`)."""
    conditions: tuple[ConditionUpdate, ...] = ()
    failure: str | None = None
    """Set when the pass must stop with phase Failed and this message."""


@dataclass(frozen=True)
class ProbeResult:
    """Is the provider's upstream controller able to act on what we render?"""

    healthy: bool
    reason: str
    message: str


@dataclass(frozen=True)
class UpstreamProbe:
    """Reads the runtime performs for a provider whose readiness depends on an upstream controller.

    `crd` is checked for existence (a CustomResourceDefinition name); Deployments matching
    `controller_selector` are listed in all namespaces. `evaluate` gets each answer, or the error
    text when the read failed, and decides.
    """

    crd: str
    controller_label: str
    controller_values: tuple[str, ...]
    evaluate: Callable[[bool | str, Mapping[str, Any] | str | None], ProbeResult]

    @property
    def controller_selector(self) -> str:
        return f"{self.controller_label} in ({','.join(self.controller_values)})"


Render = Callable[[ModelDeployment, RenderContext], list[Manifest]]
MapStatus = Callable[[ModelDeployment, Manifest | None], ProviderStatus]
CheckCompatibility = Callable[[ModelDeployment, EngineType], str | None]
SyncPatch = Callable[[Manifest, Manifest], Manifest | None]


def _no_warnings(_: ModelDeployment) -> list[str]:
    return []


def _no_pre_step(_: ModelDeployment, context: RenderContext) -> PreStep:
    return PreStep(context)


@dataclass(frozen=True)
class Provider:
    """One provider: its registration, its targets and its pure functions."""

    name: str
    display_name: str
    field_manager: str
    targets: tuple[TargetKind, ...]
    config: Callable[[str], Manifest]
    """The InferenceProviderConfig body (metadata.name, annotations, spec) for an operator version."""
    check_compatibility: CheckCompatibility
    """None when the provider can serve the deployment, else upstream's exact message."""
    render: Render
    """Target manifests; the first is the primary whose status `map_status` reads."""
    map_status: MapStatus
    """Primary target (None while absent) → phase, message, replicas, endpoint, conditions."""
    pre_step: Callable[[ModelDeployment, RenderContext], PreStep] = _no_pre_step
    admission_warnings: Callable[[ModelDeployment], list[str]] = _no_warnings
    """Warnings for fields the provider accepts but cannot use (SPEC-providers D3)."""
    upstream_probe: UpstreamProbe | None = None
    """When set, the IPC's readiness and every pass depend on the upstream controller's health."""
    sync_patch: SyncPatch | None = None
    """None: server-side apply under `field_manager` whenever the desired fields differ from the
    live object. Otherwise: the JSON merge patch bringing the live object in sync, None if in sync."""

    @property
    def finalizer(self) -> str:
        return f"airunway.ai/{self.name}-provider"

    @property
    def resource_kind(self) -> str:
        return self.targets[0].kind
