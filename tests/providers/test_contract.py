"""The provider contract (SPEC-providers §1, STYLE §3.14), checked for every provider in REGISTRY.

Owner reference and namespace of every rendered object, managed labels, deterministic output,
overrides landing last in the primary, status mapping that never raises and maps "nothing yet" to
Pending, and an InferenceProviderConfig body our model and CRD accept.
"""

from __future__ import annotations

import copy
from importlib import metadata
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import providers
from airunway_operator.api import constants, crdschema
from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from providers import REGISTRY, common, testing
from providers.base import Observed, Provider, ProviderStatus, RenderContext
from tests.schema import schema_check
from tests.unit.validation.builders import md as md_body

NAMESPACE = "models"
UID = "7d0c1f8e-3b54-4c52-9a8e-2f6f0b1f4a77"
PROBE = "x-airunway-contract-probe"

# Deployments a provider may accept; each provider is tested with the first it is compatible with.
CANDIDATES: tuple[dict[str, Any], ...] = (
    {"engine__type": "vllm", "resources__gpu__count": 1, "resources__memory": "16Gi"},
    {"engine__type": "vllm", "resources__gpu__count": 2},
    {"engine__type": "llamacpp", "engine__image": "ghcr.io/ggml-org/llama.cpp:server", "resources__cpu": "2"},
    {"engine__type": "sglang", "resources__gpu__count": 1},
    {"engine__type": "trtllm", "resources__gpu__count": 1},
)
BY_NAME = [pytest.param(p, id=p.name) for p in REGISTRY]


def deployment(provider: Provider, **extra: Any) -> tuple[ModelDeployment, RenderContext]:
    """A deployment `provider` is compatible with, plus the context the runtime would pass."""
    for candidate in CANDIDATES:
        body = md_body("contract", provider__name=provider.name, **candidate, **extra)
        body["metadata"] |= {"namespace": NAMESPACE, "uid": UID}
        md = ModelDeployment.parse(body)
        engine = EngineType(candidate["engine__type"])
        if provider.check_compatibility(md, engine) is None:
            return md, provider.pre_step(md, RenderContext(engine=engine)).context
    raise AssertionError(f"no candidate deployment is compatible with provider {provider.name}")


@pytest.mark.parametrize("provider", BY_NAME)
def test_every_object_has_one_controller_owner_reference(provider: Provider) -> None:
    md, context = deployment(provider)
    for manifest in provider.render(md, context):
        assert manifest["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "airunway.ai/v1alpha1",
                "kind": "ModelDeployment",
                "name": "contract",
                "uid": UID,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ], manifest["kind"]


@pytest.mark.parametrize("provider", BY_NAME)
def test_every_object_lives_in_the_deployment_namespace(provider: Provider) -> None:
    md, context = deployment(provider)
    assert {m["metadata"]["namespace"] for m in provider.render(md, context)} == {NAMESPACE}


@pytest.mark.parametrize("provider", BY_NAME)
def test_every_object_carries_the_managed_labels(provider: Provider) -> None:
    md, context = deployment(provider, podTemplate__metadata__labels={common.DEPLOYMENT_LABEL: "hijack"})
    managed = common.managed_labels(md, context.engine)
    for manifest in provider.render(md, context):
        labels = manifest["metadata"]["labels"]
        assert {key: labels.get(key) for key in managed} == managed, manifest["kind"]


@pytest.mark.parametrize("provider", BY_NAME)
def test_the_primary_kind_is_rendered_and_declared(provider: Provider) -> None:
    md, context = deployment(provider)
    rendered = provider.render(md, context)
    assert provider.primary in provider.targets
    assert provider.primary_name(rendered) is not None
    assert provider.resource_kind == provider.primary.kind


@pytest.mark.parametrize("provider", BY_NAME)
def test_rendered_kinds_are_declared_targets(provider: Provider) -> None:
    md, context = deployment(provider)
    declared = {(t.api_version, t.kind) for t in provider.targets}
    assert {(m["apiVersion"], m["kind"]) for m in provider.render(md, context)} <= declared


@pytest.mark.parametrize("provider", BY_NAME)
def test_render_is_deterministic_and_leaves_its_input_alone(provider: Provider) -> None:
    md, context = deployment(provider)
    before = md.model_dump()
    first = provider.render(md, context)
    assert provider.render(md, context) == first
    assert (
        provider.render(ModelDeployment.parse(copy.deepcopy(md.model_dump(by_alias=True))), context) == first
    )
    assert md.model_dump() == before


@pytest.mark.parametrize("provider", BY_NAME)
def test_overrides_land_last_in_the_primary(provider: Provider) -> None:
    md, context = deployment(provider)
    primary = provider.render(md, context)[0]
    key = next(k for k, v in primary.items() if isinstance(v, dict) and k not in common.BLOCKED_OVERRIDE_KEYS)
    overridden_md, _ = deployment(provider, provider__overrides={key: {PROBE: "on"}})
    overridden = provider.render(overridden_md, context)
    assert overridden[0][key] == {**primary[key], PROBE: "on"}
    # Elsewhere only metadata may follow the override (KAITO's last-applied annotation records it).
    assert overridden[0] | {key: primary[key], "metadata": primary["metadata"]} == primary


@pytest.mark.parametrize("provider", BY_NAME)
def test_blocked_override_keys_are_render_errors(provider: Provider) -> None:
    md, context = deployment(provider, provider__overrides={"kind": "Pod"})
    with pytest.raises(common.RenderError, match=r"overrides\.kind"):
        provider.render(md, context)


@pytest.mark.parametrize("provider", BY_NAME)
def test_nothing_yet_maps_to_pending_with_nothing_else(provider: Provider) -> None:
    md, _ = deployment(provider)
    assert provider.map_status(md, Observed()) == ProviderStatus(phase=Phase.PENDING)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["status", "spec", "metadata", "conditions", "state", "type", "message", "replicas"])
SHAPED = st.recursive(JSON, lambda inner: st.dictionaries(KEYS, inner, max_size=5), max_leaves=30)


@pytest.mark.parametrize("provider", BY_NAME)
@settings(max_examples=200, deadline=None)
@given(garbage=st.one_of(JSON, SHAPED))
def test_map_status_never_raises_on_garbage(provider: Provider, garbage: Any) -> None:
    md, _ = deployment(provider)
    name = md.metadata.name or ""
    observed = Observed({(kind.kind, name): cast(Any, garbage) for kind in provider.targets})
    assert isinstance(provider.map_status(md, observed), ProviderStatus)


@pytest.mark.parametrize("provider", BY_NAME)
def test_map_status_reads_its_own_render(provider: Provider) -> None:
    md, context = deployment(provider)
    assert isinstance(provider.map_status(md, Observed.of(*provider.render(md, context))), ProviderStatus)


IPC_SCHEMA = crdschema.root_schema(InferenceProviderConfig)


@pytest.mark.parametrize("provider", BY_NAME)
def test_config_is_a_valid_inference_provider_config(provider: Provider) -> None:
    body = provider.config("v1.2.3")
    assert body["apiVersion"] == constants.API_VERSION
    assert body["kind"] == constants.PROVIDERCONFIG_KIND
    assert body["metadata"]["name"] == provider.name
    parsed = InferenceProviderConfig.parse(body)
    assert parsed.spec is not None
    assert parsed.spec.capabilities is not None
    assert parsed.spec.capabilities.engines
    assert parsed.model_dump(by_alias=True, exclude_unset=True, mode="json") == body  # no unknown fields
    assert [str(problem) for problem in schema_check.validate(body, IPC_SCHEMA)] == []
    assert all(isinstance(value, str) for value in body["metadata"].get("annotations", {}).values())


@pytest.mark.parametrize("provider", BY_NAME)
def test_identity_is_consistent(provider: Provider) -> None:
    assert provider.finalizer == f"airunway.ai/{provider.name}-provider"
    assert provider.field_manager
    assert provider.display_name
    assert provider.targets


@pytest.mark.parametrize("provider", BY_NAME)
def test_admission_warnings_are_sentences(provider: Provider) -> None:
    md, _ = deployment(provider)
    assert all(isinstance(w, str) and w for w in provider.admission_warnings(md))


def test_registry_names_are_unique() -> None:
    names = [p.name for p in REGISTRY]
    assert len(names) == len(set(names))


# -- plug-ins through entry points ------------------------------------------------------------------


class FakeEntryPoint:
    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value, self._loaded = name, f"fake:{name}", value

    def load(self) -> Any:
        return self._loaded


def with_entry_points(monkeypatch: pytest.MonkeyPatch, *entries: FakeEntryPoint) -> None:
    def entry_points(*, group: str) -> list[FakeEntryPoint]:
        assert group == "airunway.providers"
        return list(entries)

    monkeypatch.setattr(metadata, "entry_points", entry_points)


def test_load_providers_is_the_registry_without_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    with_entry_points(monkeypatch)
    assert providers.load_providers() == tuple(REGISTRY)


def test_load_providers_appends_plugins_by_entry_point_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    first, second = (dataclasses.replace(REGISTRY[0], name=n) for n in ("zeta", "alpha"))
    with_entry_points(monkeypatch, FakeEntryPoint("b", first), FakeEntryPoint("a", second))
    assert providers.load_providers() == (*REGISTRY, second, first)


def test_load_providers_rejects_a_plugin_that_is_not_a_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    with_entry_points(monkeypatch, FakeEntryPoint("broken", object()))
    with pytest.raises(TypeError, match="entry point 'broken'"):
        providers.load_providers()


def test_load_providers_rejects_a_plugin_shadowing_a_built_in(monkeypatch: pytest.MonkeyPatch) -> None:
    with_entry_points(monkeypatch, FakeEntryPoint("again", REGISTRY[0]))
    with pytest.raises(ValueError, match=f"registered more than once: {REGISTRY[0].name}"):
        providers.load_providers()


def test_shipped_provider_configs_are_generated_from_the_providers() -> None:
    from providers import manifests

    assert manifests.main(["--check"]) == 0


# -- the published test kit (providers.testing), as a third-party provider's tests use it ----------


@pytest.mark.parametrize("provider", BY_NAME)
def test_the_published_contract_check_passes(provider: Provider) -> None:
    md, context = testing.compatible_deployment(provider)
    assert testing.contract_problems(provider, md, context) == []


def test_the_published_contract_check_names_what_a_broken_provider_gets_wrong() -> None:
    import dataclasses

    good = REGISTRY[-1]
    md, context = testing.compatible_deployment(good)

    def render_without_owner(md: ModelDeployment, context: RenderContext) -> list[dict[str, Any]]:
        manifests = good.render(md, context)
        for manifest in manifests:
            manifest["metadata"].pop("ownerReferences", None)
        return manifests

    broken = dataclasses.replace(good, render=render_without_owner, settings={"OTHER_X": "x"})
    problems = testing.contract_problems(broken, md, context)
    assert any("owner reference" in problem for problem in problems)
    assert any("must start with" in problem for problem in problems)
    nothing = dataclasses.replace(good, render=lambda md, context: [])
    assert any("primary kind" in p for p in testing.contract_problems(nothing, md, context))


def test_the_golden_helper_compares_and_rewrites(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = testing.Golden(tmp_path, update_variable="X_UPDATE")
    manifests = [{"kind": "ConfigMap", "metadata": {"name": "a"}}]
    with pytest.raises(AssertionError, match="missing"):
        golden.check("one", manifests)
    monkeypatch.setenv("X_UPDATE", "1")
    golden.check("one", manifests)
    monkeypatch.delenv("X_UPDATE")
    golden.check("one", manifests)
    with pytest.raises(AssertionError, match="differs"):
        golden.check("one", [{"kind": "Secret"}])
    assert golden.names() == {"one"}
