"""The provider plug-in protocol: a provider is data plus pure functions, run by one shared runtime.

A provider never talks to the cluster. The runtime (`airunway_operator.reconcile.provider`) claims
the ModelDeployments whose `status.provider.name` is the provider's name, runs the shared storage
pipeline when the provider mounts storage, calls `render` and applies the result, watches the
rendered kinds, and folds `map_status` over every rendered object that exists (`Observed`) into the
ModelDeployment's status. Third parties add a provider by exposing a `Provider` under the
`airunway.providers` entry-point group; `docs/writing-a-provider.md` walks through one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from airunway_operator.sdk import EngineType, ModelDeployment, Phase

Manifest: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class TargetKind:
    """A kind the provider renders (and the runtime watches)."""

    api_version: str
    kind: str
    plural: str
    delete_on_finalize: bool = False
    """Deleted explicitly (foreground) when the ModelDeployment goes, and waited for; other kinds
    are left to garbage collection through their owner reference."""
    create_aside: bool = False
    """A missing object of this kind is created beside the pass rather than in it: the pass
    neither waits for it nor reads it (status must not depend on it). For kinds whose create the
    API server may hold for long, such as a Service waiting for its ClusterIP. A failed aside
    create makes the next pass create it in line, so its error reaches status."""

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


@dataclass(frozen=True)
class Observed:
    """The live objects of one ModelDeployment, as the runtime's watch caches hold them.

    `objects` are the rendered targets (and storage objects) that exist, keyed by (kind, name);
    `pods` are the pods serving them, for status that says why pods are not ready. Never a fresh
    read: the runtime fills it from the watches it already has.
    """

    objects: Mapping[tuple[str, str], Manifest] = field(default_factory=dict)
    pods: tuple[Manifest, ...] = ()

    @classmethod
    def of(cls, *manifests: Manifest | None, pods: tuple[Manifest, ...] = ()) -> Observed:
        """Observed from live manifests (None entries are skipped): for tests and simple callers."""
        objects: dict[tuple[str, str], Manifest] = {}
        for manifest in manifests:
            if isinstance(manifest, Mapping):
                meta = manifest.get("metadata")
                name = meta.get("name") if isinstance(meta, Mapping) else None
                objects[(str(manifest.get("kind")), str(name))] = manifest
        return cls(objects, pods)

    def get(self, kind: str, name: str) -> Manifest | None:
        return self.objects.get((kind, name))

    def of_kind(self, kind: str) -> list[Manifest]:
        """Every observed object of `kind`, by name."""
        return [self.objects[key] for key in sorted(self.objects) if key[0] == kind]


@dataclass(frozen=True)
class RenderContext:
    """Everything a renderer may use besides the ModelDeployment itself; built from settings."""

    engine: EngineType
    """The resolved engine: spec.engine.type, else the core's status.engine.type."""
    settings: Mapping[str, str] = field(default_factory=dict)
    """Provider settings by name (for example KAITO's node auto-provisioning instance types)."""
    image: str | None = None
    """An image chosen by the provider's pre-step (vLLM's resolved default image), if any."""
    observed: Observed | None = None
    """The live objects the runtime holds for this ModelDeployment (None in pure tests)."""


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
    retry: str | None = None
    """Set when the pass goes on but must be retried with back-off (a best-effort lookup failed)."""


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
MapStatus = Callable[[ModelDeployment, Observed], ProviderStatus]
CheckCompatibility = Callable[[ModelDeployment, EngineType], str | None]
SyncPatch = Callable[[Manifest, Manifest], Manifest | None]
SyncReplace = Callable[[Manifest, Manifest], Manifest | None]


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
    """Every kind `render` may return; the runtime watches each of them."""
    primary: TargetKind
    """The kind whose first rendered object is `status.provider.resourceName`/`resourceKind`."""
    config: Callable[[str], Manifest]
    """The InferenceProviderConfig body (metadata.name, annotations, spec) for an operator version."""
    check_compatibility: CheckCompatibility
    """None when the provider can serve the deployment, else upstream's exact message."""
    render: Render
    """Target manifests, in apply order; the first of kind `primary` is the primary object."""
    map_status: MapStatus
    """Every rendered object that exists (primary absent → Pending) → phase, message, replicas,
    endpoint, conditions. Pure, and never raises on odd input."""
    pre_step: Callable[[ModelDeployment, RenderContext], PreStep] = _no_pre_step
    admission_warnings: Callable[[ModelDeployment], list[str]] = _no_warnings
    """Warnings for fields the provider accepts but cannot use (SPEC-providers D3)."""
    upstream_probe: UpstreamProbe | None = None
    """When set, the IPC's readiness and every pass depend on the upstream controller's health."""
    sync_patch: SyncPatch | None = None
    """None: server-side apply under `field_manager` whenever the desired fields differ from the
    live object. Otherwise: the JSON merge patch bringing the live object in sync, None if in sync."""
    sync_replace: SyncReplace | None = None
    """When set (and `sync_patch` is not): (desired, live) → the full object to PUT, carrying the
    live resourceVersion, or None when in sync (Dynamo's and KubeRay's full replace)."""
    report_conflicts: bool = False
    """A 409 on a target write sets `ResourceCreated=False ResourceConflict` (phase kept) and retries
    after 1 s, as Dynamo does; otherwise status is left alone and the pass retries at once."""
    uses_storage: bool = False
    """Run the shared storage pipeline (managed PVCs, the model-download Job, `StorageReady` and
    `ModelDownloaded`) before rendering (SPEC-core §5, decision D4)."""
    readiness_crd: str | None = None
    """A CustomResourceDefinition whose presence decides the IPC's `ready` (the "CRD presence"
    status style of Dynamo and KubeRay); None means always ready unless `upstream_probe` says no."""
    pod_label: str | None = None
    """A pod label whose value is the ModelDeployment's name: the runtime watches such pods and
    `Observed.pods` carries them (why pods are not ready). None: no pod diagnosis."""
    allowed_override_paths: frozenset[str] = frozenset()
    """Dotted `spec.provider.overrides` paths admission allows for this provider although they
    contain a sizing key (`replicas`, `resources`), e.g. Dynamo's `frontend.replicas` (D10)."""
    gpu_optional_annotation: tuple[str, str] | None = None
    """An annotation (key, value) under which this provider needs no GPU (Dynamo's mocker)."""
    settings: Mapping[str, str] = field(default_factory=dict)
    """The provider's settings: environment variable (under `env_prefix`) → what it does. Documented
    and checked by tests (a chart value setting an unknown variable fails)."""
    settings_prefix: str = ""
    """Environment prefix of the provider's own settings; empty means `AIRUNWAY_<NAME>_`. The
    runtime hands every variable with the prefix to `RenderContext.settings` (full names)."""

    @property
    def finalizer(self) -> str:
        return f"airunway.ai/{self.name}-provider"

    @property
    def resource_kind(self) -> str:
        return self.primary.kind

    @property
    def env_prefix(self) -> str:
        return self.settings_prefix or f"AIRUNWAY_{self.name.upper().replace('-', '_')}_"

    def primary_name(self, manifests: Sequence[Manifest]) -> str | None:
        """The name of the first rendered object of the primary kind."""
        for manifest in manifests:
            if (
                manifest.get("kind") == self.primary.kind
                and manifest.get("apiVersion") == self.primary.api_version
            ):
                return str(manifest["metadata"]["name"])
        return None
