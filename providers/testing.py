"""A test kit for provider plug-ins, built-in or third-party: the contract every provider keeps
(SPEC-providers §1) and golden-file helpers.

A third-party provider's own tests use it like this::

    from providers.testing import Golden, compatible_deployment, contract_problems

    def test_my_provider_keeps_the_contract() -> None:
        md, context = compatible_deployment(MY_PROVIDER)
        assert contract_problems(MY_PROVIDER, md, context) == []

    GOLDEN = Golden(Path(__file__).parent / "golden" / "mine")

    def test_render_matches_golden() -> None:
        md, context = compatible_deployment(MY_PROVIDER)
        GOLDEN.check("aggregated", MY_PROVIDER.render(md, context))

No pytest dependency: `contract_problems` returns sentences, `Golden.check` raises AssertionError.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from airunway_operator.sdk import EngineType, InferenceProviderConfig, ModelDeployment, Phase, constants
from providers import common
from providers.base import Manifest, Observed, Provider, ProviderStatus, RenderContext

NAMESPACE: Final = "models"
UID: Final = "7d0c1f8e-3b54-4c52-9a8e-2f6f0b1f4a77"
NAME: Final = "contract"

#: Specs a provider may accept, tried in order; the first one the provider is compatible with is used.
CANDIDATE_SPECS: Final[tuple[Mapping[str, Any], ...]] = (
    {"engine": {"type": "vllm"}, "resources": {"gpu": {"count": 1}, "memory": "16Gi"}},
    {"engine": {"type": "vllm"}, "resources": {"gpu": {"count": 2}}},
    {
        "engine": {"type": "llamacpp", "image": "ghcr.io/ggml-org/llama.cpp:server"},
        "resources": {"cpu": "2"},
    },
    {"engine": {"type": "sglang"}, "resources": {"gpu": {"count": 1}}},
    {"engine": {"type": "trtllm"}, "resources": {"gpu": {"count": 1}}},
)


def model_deployment(
    spec: Mapping[str, Any],
    *,
    name: str = NAME,
    namespace: str = NAMESPACE,
    uid: str = UID,
    annotations: Mapping[str, str] | None = None,
) -> ModelDeployment:
    """A parsed ModelDeployment as the runtime sees it (with namespace and uid); `spec` gets the
    model `Qwen/Qwen3-0.6B` unless it names one."""
    body_spec = {"model": {"id": "Qwen/Qwen3-0.6B"}, **copy.deepcopy(dict(spec))}
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "uid": uid, "generation": 1}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return ModelDeployment.parse(
        {
            "apiVersion": constants.API_VERSION,
            "kind": constants.MODELDEPLOYMENT_KIND,
            "metadata": metadata,
            "spec": body_spec,
        }
    )


def compatible_deployment(
    provider: Provider,
    extra: Mapping[str, Any] | None = None,
    candidates: Sequence[Mapping[str, Any]] = CANDIDATE_SPECS,
) -> tuple[ModelDeployment, RenderContext]:
    """The first candidate spec (deep-merged with `extra`, provider name set) that `provider` is
    compatible with, and the context its pre-step produces, as the runtime would pass it."""
    for candidate in candidates:
        spec = common.deep_merge(candidate, {"provider": {"name": provider.name}, **(extra or {})})
        md = model_deployment(spec)
        engine = EngineType(spec["engine"]["type"])
        if provider.check_compatibility(md, engine) is None:
            return md, provider.pre_step(md, RenderContext(engine=engine)).context
    raise AssertionError(f"no candidate deployment is compatible with provider {provider.name}")


def expected_owner_reference(md: ModelDeployment) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": constants.MODELDEPLOYMENT_KIND,
        "name": md.metadata.name,
        "uid": md.metadata.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def contract_problems(provider: Provider, md: ModelDeployment, context: RenderContext) -> list[str]:
    """Every way `provider` breaks the plug-in contract for `md`; empty when it keeps it."""
    problems = _identity_problems(provider)
    rendered = provider.render(md, context)
    problems += _render_problems(provider, md, context, rendered)
    problems += _status_problems(provider, md, rendered)
    problems += _config_problems(provider)
    warnings = provider.admission_warnings(md)
    if not all(isinstance(w, str) and w for w in warnings):
        problems.append(f"admission warnings must be non-empty sentences, got {warnings!r}")
    return problems


def _identity_problems(provider: Provider) -> list[str]:
    problems = []
    if provider.finalizer != f"airunway.ai/{provider.name}-provider":
        problems.append(f"finalizer {provider.finalizer!r} is not airunway.ai/<name>-provider")
    if not provider.field_manager or not provider.display_name:
        problems.append("field_manager and display_name must be set")
    if provider.primary not in provider.targets:
        problems.append(f"primary kind {provider.primary.kind} is not among the declared targets")
    if not all(name.startswith(provider.env_prefix) for name in provider.settings):
        problems.append(f"settings {sorted(provider.settings)} must start with {provider.env_prefix}")
    return problems


def _render_problems(
    provider: Provider, md: ModelDeployment, context: RenderContext, rendered: list[Manifest]
) -> list[str]:
    problems = []
    declared = {(t.api_version, t.kind) for t in provider.targets}
    managed = common.managed_labels(md, context.engine)
    for manifest in rendered:
        what = f"{manifest.get('kind')} {manifest.get('metadata', {}).get('name')}"
        if (manifest.get("apiVersion"), manifest.get("kind")) not in declared:
            problems.append(f"{what}: kind is not a declared target")
        meta = manifest.get("metadata") or {}
        if meta.get("ownerReferences") != [expected_owner_reference(md)]:
            problems.append(f"{what}: needs exactly one controller owner reference to the ModelDeployment")
        if meta.get("namespace") != md.metadata.namespace:
            problems.append(f"{what}: not in the ModelDeployment's namespace")
        labels = meta.get("labels") or {}
        if {key: labels.get(key) for key in managed} != managed:
            problems.append(f"{what}: managed labels {managed} missing or overridden")
    if provider.primary_name(rendered) is None:
        problems.append(f"render returned no {provider.primary.kind} (the primary kind)")
    before = md.model_dump()
    if provider.render(md, context) != rendered:
        problems.append("render is not deterministic")
    if md.model_dump() != before:
        problems.append("render changed its input")
    return problems


def _status_problems(provider: Provider, md: ModelDeployment, rendered: list[Manifest]) -> list[str]:
    problems = []
    if provider.map_status(md, Observed()) != ProviderStatus(phase=Phase.PENDING):
        problems.append("map_status with nothing observed must be Pending with nothing else")
    if not isinstance(provider.map_status(md, Observed.of(*rendered)), ProviderStatus):
        problems.append("map_status of the provider's own render must return a ProviderStatus")
    return problems


def _config_problems(provider: Provider) -> list[str]:
    body = provider.config("v1.2.3")
    problems = []
    if (body.get("apiVersion"), body.get("kind")) != (constants.API_VERSION, constants.PROVIDERCONFIG_KIND):
        problems.append("config() must be an InferenceProviderConfig")
    if (body.get("metadata") or {}).get("name") != provider.name:
        problems.append("config() must be named after the provider")
    parsed = InferenceProviderConfig.parse(body)
    if parsed.model_dump(by_alias=True, exclude_unset=True, mode="json") != body:
        problems.append("config() carries fields the InferenceProviderConfig model does not know")
    if parsed.spec is None or parsed.spec.capabilities is None or not parsed.spec.capabilities.engines:
        problems.append("config() must declare engine capabilities")
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    if not all(isinstance(value, str) for value in annotations.values()):
        problems.append("config() annotation values must be strings")
    return problems


class Golden:
    """Reviewed renders kept as YAML files in `folder`; `check` compares, or rewrites them when the
    environment variable `update_variable` is 1 (then review the diff by eye)."""

    def __init__(self, folder: Path, update_variable: str = "AIRUNWAY_UPDATE_GOLDEN") -> None:
        self.folder = folder
        self.update_variable = update_variable

    @property
    def updating(self) -> bool:
        return os.environ.get(self.update_variable) == "1"

    def check(self, name: str, manifests: list[Manifest]) -> None:
        path = self.folder / f"{name}.yaml"
        if self.updating:
            self.folder.mkdir(parents=True, exist_ok=True)
            header = f"# Golden render `{name}`: reviewed by eye; regenerate with {self.update_variable}=1.\n"
            path.write_text(header + yaml.safe_dump_all(manifests, sort_keys=False))
        if not path.exists():
            raise AssertionError(f"{path} is missing; run with {self.update_variable}=1 and review it")
        stored = list(yaml.safe_load_all(path.read_text()))
        if stored != manifests:
            raise AssertionError(f"render differs from {path}; run with {self.update_variable}=1 to review")

    def names(self) -> set[str]:
        """The scenarios stored in the folder."""
        return {path.stem for path in self.folder.glob("*.yaml")}
