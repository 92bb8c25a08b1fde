"""The named provider's admission warnings (SPEC-providers D3/D4) reach the admission answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes import client

from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.reconcile import admission as review
from airunway_operator.validation import admission, lookup
from providers import kaito, vllm
from tests.unit.validation.builders import engine, ipc, md

TOLERATIONS = [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
AMD = {"gpu": {"count": 1, "type": "amd.com/gpu"}}


def test_the_named_providers_warnings_are_added_on_create() -> None:
    body = md(provider__name="kaito", tolerations=TOLERATIONS)
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP, kaito.PROVIDER.admission_warnings)
    assert verdict.allowed
    assert [w for w in verdict.warnings if w.startswith("spec.tolerations is ignored by provider kaito")]


def test_the_named_providers_warnings_are_added_on_update() -> None:
    old = md(provider__name="vllm", resources=AMD)
    new = md(provider__name="vllm", resources=AMD, scaling__replicas=2)
    verdict = admission.validate_update(new, old, lookup.NOT_LOOKED_UP, vllm.PROVIDER.admission_warnings)
    assert verdict.allowed
    assert any(
        "spec.resources.gpu.type 'amd.com/gpu' is ignored by provider 'vllm'" in w for w in verdict.warnings
    )


def test_provider_warnings_come_after_the_cores_and_with_rejections_too() -> None:
    body = md(provider__name="kaito", tolerations=TOLERATIONS, engine__trustRemoteCode=True, image="a")
    body["spec"]["engine"]["image"] = "b"
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP, kaito.PROVIDER.admission_warnings)
    assert not verdict.allowed
    assert verdict.warnings[0].startswith("spec.engine.trustRemoteCode is true")
    assert any(w.startswith("spec.tolerations is ignored by provider kaito") for w in verdict.warnings)


def test_the_provider_reads_the_status_of_the_object() -> None:
    body = md(provider__name="kaito", env=[{"name": "A", "value": "b"}], status={"engine": {"type": "vllm"}})
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP, kaito.PROVIDER.admission_warnings)
    assert any(w.startswith("spec.env is ignored by provider kaito") for w in verdict.warnings)


def test_an_unreadable_status_still_gets_the_spec_warnings() -> None:
    body = md(provider__name="kaito", tolerations=TOLERATIONS, status={"phase": "Nonsense"})
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP, kaito.PROVIDER.admission_warnings)
    assert any(w.startswith("spec.tolerations is ignored by provider kaito") for w in verdict.warnings)


def test_a_failing_plugin_costs_its_warnings_not_the_review() -> None:
    def broken(_: ModelDeployment) -> list[str]:
        raise RuntimeError("bug")

    verdict = admission.validate_create(md(provider__name="acme"), lookup.NOT_LOOKED_UP, broken)
    assert verdict.allowed
    assert verdict.warnings == (
        "spec.provider.name: the warnings of provider 'acme' could not be computed (RuntimeError); "
        "fields it cannot use were not checked",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(md(provider__name="kaito"), "kaito", id="named"),
        pytest.param(md(), None, id="no provider block"),
        pytest.param(md(provider__name=""), None, id="empty name"),
        pytest.param(md(provider__name=3), None, id="not a string"),
        pytest.param({"spec": "x"}, None, id="no spec object"),
    ],
)
def test_explicit_provider(body: dict[str, Any], expected: str | None) -> None:
    assert admission.explicit_provider(body) == expected


def test_installed_plugins_are_found_by_name() -> None:
    assert review.provider_warnings("kaito") is kaito.PROVIDER.admission_warnings
    assert review.provider_warnings("vllm") is vllm.PROVIDER.admission_warnings
    assert review.provider_warnings("dynamo-not-installed") is None
    assert review.provider_warnings(None) is None


def _review(body: dict[str, Any], cached: InferenceProviderConfig | None = None) -> Any:
    # The lookup is served from the cache, so the unconfigured client is never used.
    return asyncio.run(review.review_modeldeployment(body, None, lambda _: cached, client.ApiClient()))


def test_a_review_returns_the_named_providers_warnings() -> None:
    verdict = _review(
        md(provider__name="vllm", engine__type="vllm", resources=AMD), ipc("vllm", engine("vllm"))
    )
    assert verdict.allowed, verdict.message()
    assert any("is ignored by provider 'vllm'" in w for w in verdict.warnings)


def test_a_review_without_a_named_provider_has_no_provider_warnings() -> None:
    verdict = _review(md(tolerations=TOLERATIONS, resources=AMD))
    assert verdict.allowed
    assert verdict.warnings == ()
