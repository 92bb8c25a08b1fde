"""Rules 5-8 of SPEC-core §2.3 for spec.provider.overrides, and decision D10 for Dynamo."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.validation import admission, lookup, overrides
from airunway_operator.validation.result import ErrorKind
from tests.unit.validation.builders import assert_rejected, md

PATH = "spec.provider.overrides"


def verdict_for(value: Any, provider: str | None = None):
    fields: dict[str, Any] = {"provider__overrides": value}
    if provider is not None:
        fields["provider__name"] = provider
    return admission.validate_create(md(**fields), lookup.NOT_LOOKED_UP)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        pytest.param([{"a": 1}], ("JSON object", "<redacted 9 bytes>"), id="an array is not an object"),
        pytest.param("spec: {}", ("JSON object", "<redacted 10 bytes>"), id="a string is not an object"),
        pytest.param(3, ("JSON object",), id="a number is not an object"),
        pytest.param({"a": float("nan")}, ("valid JSON",), id="NaN is not JSON"),
        pytest.param({"a": {1: "x"}}, ("valid JSON",), id="a non-string key is not JSON"),
        pytest.param({"a": {"b"}}, ("valid JSON",), id="a set is not JSON"),
    ],
)
def test_overrides_must_be_a_json_object(value: Any, words: tuple[str, ...]):
    verdict = verdict_for(value)
    assert_rejected(verdict, PATH, ErrorKind.INVALID, *words)
    assert "spec:" not in verdict.message(), "the value must be redacted"


@pytest.mark.parametrize("key", sorted(overrides.SECURITY_KEYS))
def test_security_keys_are_forbidden_at_any_depth(key: str):
    value = {"spec": {"template": {"spec": {"containers": [{"name": "main"}, {key: True}]}}}}
    path = f"{PATH}.spec.template.spec.containers[1].{key}"
    assert_rejected(verdict_for(value), path, ErrorKind.FORBIDDEN, repr(key), "security")


@pytest.mark.parametrize("key", sorted(overrides.SIZING_KEYS))
def test_sizing_keys_are_forbidden_at_any_depth(key: str):
    value = {"spec": {"template": {"spec": {"containers": [{key: {"limits": {"cpu": "1"}}}]}}}}
    path = f"{PATH}.spec.template.spec.containers[0].{key}"
    assert_rejected(verdict_for(value), path, ErrorKind.FORBIDDEN, repr(key), "spec.scaling")


def test_a_top_level_forbidden_key_is_reported():
    assert_rejected(verdict_for({"replicas": 3}), f"{PATH}.replicas", ErrorKind.FORBIDDEN)


def test_the_subtree_of_a_forbidden_key_is_not_searched():
    verdict = verdict_for({"securityContext": {"replicas": 1, "hostPID": True}})
    assert [e.path for e in verdict.errors] == [f"{PATH}.securityContext"]


def test_every_forbidden_key_is_reported_in_document_order():
    value = {"a": [{"hostNetwork": True}], "b": {"c": {"resources": {}}}, "nodeName": "n"}
    assert [e.path for e in verdict_for(value).errors] == [
        f"{PATH}.a[0].hostNetwork",
        f"{PATH}.b.c.resources",
        f"{PATH}.nodeName",
    ]


def test_deeply_nested_overrides_do_not_exhaust_the_stack():
    value: dict[str, Any] = {"hostIPC": True}
    for _ in range(5000):
        value = {"x": [value]}
    verdict = verdict_for(value)
    assert len(verdict.errors) == 1
    assert verdict.errors[0].path.endswith(".hostIPC")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"spec": {"progressDeadlineSeconds": 600}}, id="ordinary keys are allowed"),
        pytest.param({"SecurityContext": {}, "Replicas": 1}, id="keys match case-sensitively"),
        pytest.param(
            {"env": [{"name": "securityContext", "value": "replicas"}]}, id="forbidden words as values"
        ),
        pytest.param({}, id="an empty object is allowed"),
        pytest.param(None, id="null is treated as absent"),
    ],
)
def test_accepted_overrides(value: Any):
    verdict = verdict_for(value)
    assert verdict.allowed, verdict.message()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"frontend": {"replicas": 2}}, id="Dynamo may size its frontend"),
        pytest.param(
            {"frontend": {"resources": {"cpu": "2", "memory": "4Gi"}}}, id="frontend cpu and memory"
        ),
        pytest.param(
            {"epp": {"replicas": 2, "image": "epp:1"}, "routerMode": "kv"}, id="Dynamo epp replicas"
        ),
    ],
)
def test_dynamo_typed_overrides_are_allowed(value: Any):
    verdict = verdict_for(value, provider="dynamo")
    assert verdict.allowed, verdict.message()


@pytest.mark.parametrize(
    ("value", "provider", "path"),
    [
        pytest.param(
            {"frontend": {"replicas": 2}}, "vllm", "frontend.replicas", id="only Dynamo may size a frontend"
        ),
        pytest.param(
            {"frontend": {"resources": {"limits": {}}}}, "dynamo", "frontend.resources", id="frontend limits"
        ),
        pytest.param({"epp": {"resources": {"cpu": "1"}}}, "dynamo", "epp.resources", id="epp resources"),
        pytest.param(
            {"frontend": [{"replicas": 1}]}, "dynamo", "frontend[0].replicas", id="replicas in a list"
        ),
        pytest.param(
            {"frontend": {"replicas": {"securityContext": {}}}},
            "dynamo",
            "frontend.replicas.securityContext",
            id="security keys below an allowed key",
        ),
    ],
)
def test_dynamo_allowance_is_narrow(value: Any, provider: str, path: str):
    assert_rejected(verdict_for(value, provider=provider), f"{PATH}.{path}", ErrorKind.FORBIDDEN)
