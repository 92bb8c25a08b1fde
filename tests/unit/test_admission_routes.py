"""The webhook routes answer exactly what the validation core decides, from the watch index when it can."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from kubernetes import client

from airunway_operator.admission import configuration
from airunway_operator.api import constants
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.context import OperatorContext
from airunway_operator.handlers import admission as routes
from airunway_operator.reconcile import admission as review
from airunway_operator.settings import Settings
from airunway_operator.validation import admission, lookup
from airunway_operator.validation import providerconfig as providerconfig_rules
from airunway_operator.webhook_server import Answer
from tests.unit.validation.builders import engine, ipc, md

AMD = {"gpu": {"count": 1, "type": "amd.com/gpu"}}


class FakeIndex(dict[str, list[InferenceProviderConfig]]):
    """kopf's index: name → store of parsed configs."""


def _context(*configs: InferenceProviderConfig) -> OperatorContext:
    # A client no API server answers: a lookup that reaches it reports the API server unreachable.
    configuration_ = client.Configuration()
    configuration_.host = "https://127.0.0.1:9"
    ctx = OperatorContext(
        settings=Settings(), api_client=client.ApiClient(configuration_), enabled_providers=()
    )
    ctx.providers.index = FakeIndex({c.metadata.name or "": [c] for c in configs})
    return ctx


def _request(body: dict[str, Any], operation: str = "CREATE", old: Any = None) -> dict[str, Any]:
    return {"operation": operation, "object": body, "oldObject": old, "userInfo": {"username": "t"}}


def _md_route(ctx: OperatorContext) -> Any:
    return routes.routes(ctx)[configuration.MODELDEPLOYMENT_PATH].review


def test_both_paths_review_their_own_resource() -> None:
    table = routes.routes(_context())
    md_route = table[configuration.MODELDEPLOYMENT_PATH]
    ipc_route = table[configuration.PROVIDERCONFIG_PATH]
    assert (md_route.group, md_route.version, md_route.plural) == (
        constants.GROUP,
        constants.VERSION,
        constants.MODELDEPLOYMENT_PLURAL,
    )
    assert ipc_route.plural == constants.PROVIDERCONFIG_PLURAL
    assert md_route.operations == ipc_route.operations == frozenset({"CREATE", "UPDATE"})


def test_a_cached_provider_is_answered_at_once_with_the_cores_verdict() -> None:
    config = ipc("vllm", engine("vllm"))
    body = md(provider__name="vllm", engine__type="vllm", resources=AMD)
    answer = _md_route(_context(config))(_request(body))
    expected = admission.validate_create(body, lookup.Found(config), review.provider_warnings("vllm"))
    assert isinstance(answer, Answer)
    assert answer == Answer(True, expected.warnings)
    assert any("is ignored by provider 'vllm'" in w for w in answer.warnings)


def test_a_denial_carries_the_cores_message_with_422() -> None:
    body = md(provider__overrides={"hostNetwork": True})
    answer = _md_route(_context())(_request(body))
    expected = admission.validate_create(body, lookup.NOT_LOOKED_UP, None)
    assert answer == Answer(False, expected.warnings, expected.message(), 422)
    assert "hostNetwork" in answer.message


def test_an_update_is_judged_against_the_old_object() -> None:
    old = md(model__id="Qwen/Qwen2.5-0.5B-Instruct")
    new = md(model__id="another/model")
    answer = _md_route(_context())(_request(new, "UPDATE", old))
    expected = admission.validate_update(new, old, lookup.NOT_LOOKED_UP, None)
    assert answer == Answer(False, expected.warnings, expected.message(), 422)


def test_a_provider_missing_from_the_cache_is_read_from_the_api_server() -> None:
    body = md(provider__name="vllm", engine__type="vllm")
    pending = _md_route(_context())(_request(body))
    assert inspect.iscoroutine(pending)
    answer: Answer = asyncio.run(pending)
    # Nothing answers at the client's address: admitted with the warning the core gives for that.
    expected = admission.validate_create(
        body, lookup.Unavailable("API server unreachable: MaxRetryError"), review.provider_warnings("vllm")
    )
    assert answer == Answer(True, expected.warnings)
    assert "could not be read" in answer.warnings[0]


def test_review_cached_needs_the_api_only_for_a_provider_not_in_the_cache() -> None:
    named = md(provider__name="kaito", engine__type="vllm")
    assert review.review_cached(named, None, lambda _: None) is None
    assert review.review_cached(md(), None, lambda _: None) is not None


def test_a_store_changing_under_the_reader_counts_as_a_cache_miss() -> None:
    class Changing(list[InferenceProviderConfig]):
        def __iter__(self) -> Any:
            raise RuntimeError("dictionary changed size during iteration")

    ctx = _context()
    ctx.providers.index = FakeIndex({"vllm": Changing()})
    pending = _md_route(ctx)(_request(md(provider__name="vllm", engine__type="vllm")))
    assert inspect.iscoroutine(pending)
    pending.close()


@pytest.mark.parametrize("rules_ok", [True, False])
def test_providerconfig_route_only_warns(rules_ok: bool) -> None:
    rule = "true" if rules_ok else "spec.engine.type ==="
    body = {
        "apiVersion": f"{constants.GROUP}/{constants.VERSION}",
        "kind": "InferenceProviderConfig",
        "metadata": {"name": "acme"},
        "spec": {"selectionRules": [{"condition": rule, "priority": 1}]},
    }
    answer = routes.routes(_context())[configuration.PROVIDERCONFIG_PATH].review(_request(body))
    verdict = providerconfig_rules.validate(body)
    assert answer == Answer(True, verdict.warnings)
