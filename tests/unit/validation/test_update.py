"""UPDATE rules of SPEC-core §2.4: every CREATE rule except the name check, plus immutability."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.validation import admission, lookup
from airunway_operator.validation.result import ErrorKind
from tests.unit.validation.builders import DELETE, assert_rejected, md

NO_LOOKUP = lookup.NOT_LOOKED_UP
DISAGG: dict[str, Any] = {
    "serving__mode": "disaggregated",
    "scaling__prefill": {"gpu": {"count": 1}},
    "scaling__decode": {"gpu": {"count": 1}},
}


def cache(**fields: Any) -> dict[str, Any]:
    return {"name": "cache", "purpose": "modelCache", "size": "100Gi", **fields}


def data(**fields: Any) -> dict[str, Any]:
    return {"name": "data", "claimName": "shared", "mountPath": "/data", **fields}


def with_volumes(*items: dict[str, Any]) -> dict[str, Any]:
    return md(model__storage__volumes=list(items))


REJECTED = [
    pytest.param(
        md(),
        md(model__id="Qwen/Qwen3-8B"),
        "spec.model.id",
        ErrorKind.INVALID,
        ("immutable",),
        id="the model id cannot change",
    ),
    pytest.param(
        md(model__source="custom", model__id=DELETE),
        md(model__source="custom", model__id="x"),
        "spec.model.id",
        ErrorKind.INVALID,
        ("unset",),
        id="the model id cannot be set later",
    ),
    pytest.param(
        md(model__source="custom"),
        md(model__source="huggingface"),
        "spec.model.source",
        ErrorKind.INVALID,
        ("'custom'",),
        id="the model source cannot change",
    ),
    pytest.param(
        md(model__source=DELETE),
        md(model__source="custom"),
        "spec.model.source",
        ErrorKind.INVALID,
        ("'huggingface'",),
        id="a defaulted model source cannot change either",
    ),
    pytest.param(
        md(engine__type="vllm"),
        md(engine__type="sglang"),
        "spec.engine.type",
        ErrorKind.INVALID,
        ("'vllm'", "'sglang'"),
        id="the engine cannot be switched",
    ),
    pytest.param(
        md(provider__name="kaito"),
        md(provider__name="vllm"),
        "spec.provider.name",
        ErrorKind.INVALID,
        ("'kaito'", "'vllm'"),
        id="the provider cannot be switched",
    ),
    pytest.param(
        md(status={"provider": {"name": "dynamo"}}),
        md(provider__name="vllm"),
        "spec.provider.name",
        ErrorKind.INVALID,
        ("'dynamo'",),
        id="an auto-selected provider cannot be overridden",
    ),
    pytest.param(
        md(),
        md(**DISAGG),
        "spec.serving.mode",
        ErrorKind.INVALID,
        ("'aggregated'", "'disaggregated'"),
        id="the resolved serving mode cannot change",
    ),
    pytest.param(
        with_volumes(cache()),
        md(),
        "spec.model.storage",
        ErrorKind.FORBIDDEN,
        ("cache",),
        id="storage holding a managed volume cannot be removed",
    ),
    pytest.param(
        with_volumes(cache(), data()),
        with_volumes(data()),
        "spec.model.storage.volumes",
        ErrorKind.FORBIDDEN,
        ("'cache'",),
        id="a managed volume cannot be removed",
    ),
    pytest.param(
        with_volumes(cache()),
        md(model__storage={}),
        "spec.model.storage.volumes",
        ErrorKind.FORBIDDEN,
        ("'cache'",),
        id="an empty storage block removes managed volumes",
    ),
    pytest.param(
        with_volumes(cache()),
        with_volumes(cache(size="200Gi")),
        "spec.model.storage.volumes[0].size",
        ErrorKind.INVALID,
        ("'100Gi'", "'200Gi'"),
        id="a managed volume cannot be resized",
    ),
    pytest.param(
        with_volumes(cache()),
        with_volumes({"name": "cache", "purpose": "modelCache", "claimName": "qwen-cache"}),
        "spec.model.storage.volumes[0].size",
        ErrorKind.INVALID,
        ("unset",),
        id="a managed volume cannot become unmanaged",
    ),
    pytest.param(
        with_volumes(cache()),
        with_volumes(cache(mountPath="/weights")),
        "spec.model.storage.volumes[0].mountPath",
        ErrorKind.INVALID,
        ("'/model-cache'",),
        id="a managed volume cannot move",
    ),
    pytest.param(
        with_volumes(cache()),
        with_volumes(cache(purpose="custom", mountPath="/model-cache")),
        "spec.model.storage.volumes[0].purpose",
        ErrorKind.INVALID,
        ("'modelCache'",),
        id="a managed volume cannot change purpose",
    ),
    pytest.param(
        with_volumes(cache(accessMode="ReadWriteOnce")),
        with_volumes(cache()),
        "spec.model.storage.volumes[0].accessMode",
        ErrorKind.INVALID,
        ("'ReadWriteOnce'",),
        id="a managed volume cannot change access mode",
    ),
    pytest.param(
        with_volumes(cache()),
        with_volumes(cache(storageClassName="")),
        "spec.model.storage.volumes[0].storageClassName",
        ErrorKind.INVALID,
        ("unset",),
        id="an absent and an empty storage class differ",
    ),
    pytest.param(
        with_volumes(cache(purpose="custom", mountPath="/c")),
        with_volumes(cache(purpose="custom", mountPath="/c", readOnly=True)),
        "spec.model.storage.volumes[0].readOnly",
        ErrorKind.INVALID,
        ("was false", "now true"),
        id="a managed volume cannot become read-only",
    ),
    pytest.param(
        md(),
        md(resources__cpu="1000"),
        "spec.resources.cpu",
        ErrorKind.INVALID,
        ("512",),
        id="create rules apply on update too",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "kind", "words"), REJECTED)
def test_rejects(
    old: dict[str, Any], new: dict[str, Any], path: str, kind: ErrorKind, words: tuple[str, ...]
):
    assert_rejected(admission.validate_update(new, old, NO_LOOKUP), path, kind, *words)


@pytest.mark.parametrize(("old", "new", "path", "kind", "words"), REJECTED[:-1])
def test_every_forbidden_change_says_immutable(
    old: dict[str, Any], new: dict[str, Any], path: str, kind: ErrorKind, words: tuple[str, ...]
):
    """Users and upstream's end-to-end tests look for the word `immutable` in these rejections."""
    verdict = admission.validate_update(new, old, NO_LOOKUP)
    assert any(error.path == path and "immutable" in error.message for error in verdict.errors), (
        verdict.message()
    )


ACCEPTED = [
    pytest.param(md(name="a.b"), md(name="a.b", scaling__replicas=2), id="a dotted name stays updatable"),
    pytest.param(md(), md(engine__type="vllm"), id="an engine can be set later"),
    pytest.param(md(engine__type="vllm"), md(), id="an engine can be cleared"),
    pytest.param(md(provider__name="kaito"), md(), id="a provider can be cleared"),
    pytest.param(md(), md(provider__name="kaito"), id="a provider can be named when none was chosen"),
    pytest.param(
        md(status={"provider": {"name": "kaito"}}),
        md(provider__name="kaito"),
        id="the chosen provider can be named explicitly",
    ),
    pytest.param(md(), md(serving__mode="aggregated"), id="spelling out the default mode is no change"),
    pytest.param(
        with_volumes(cache(size="1Gi")), with_volumes(cache(size="1024Mi")), id="sizes compare by value"
    ),
    pytest.param(
        with_volumes(cache()),
        with_volumes(cache(claimName="qwen-cache", accessMode="ReadWriteMany", mountPath="/model-cache")),
        id="spelling out upstream's defaults is no change",
    ),
    pytest.param(
        with_volumes(cache(claimName="qwen-cache", accessMode="ReadWriteMany", mountPath="/model-cache")),
        with_volumes(cache()),
        id="an object stored with upstream's defaults may drop them",
    ),
    pytest.param(with_volumes(cache()), with_volumes(cache(), data()), id="volumes can be added"),
    pytest.param(md(), with_volumes(cache()), id="a managed volume can be added"),
    pytest.param(
        with_volumes(cache(), data()), with_volumes(cache()), id="an unmanaged volume can be removed"
    ),
    pytest.param(
        with_volumes(data()),
        with_volumes(data(mountPath="/other", readOnly=True)),
        id="an unmanaged volume can be edited",
    ),
    pytest.param(
        with_volumes(data(), cache()), with_volumes(cache()), id="a managed volume is matched by name"
    ),
]


@pytest.mark.parametrize(("old", "new"), ACCEPTED)
def test_accepts(old: dict[str, Any], new: dict[str, Any]):
    verdict = admission.validate_update(new, old, NO_LOOKUP)
    assert verdict.allowed, verdict.message()


def test_an_object_being_deleted_is_always_admitted():
    new = md(name="a.b", model__id=DELETE, resources__cpu="9999")
    new["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert admission.validate_update(new, md(), lookup.NOT_FOUND).allowed


def test_an_unreadable_old_object_skips_immutability_with_a_warning():
    verdict = admission.validate_update(md(engine__type="sglang"), md(engine__type="nope"), NO_LOOKUP)
    assert verdict.allowed, verdict.message()
    assert any("immutable" in warning for warning in verdict.warnings)


def test_every_forbidden_change_is_reported_at_once():
    old = with_volumes(cache())
    old["spec"] |= {"engine": {"type": "vllm"}, "provider": {"name": "kaito"}}
    new = md(model__id="other", engine__type="sglang", provider__name="vllm", **DISAGG)
    verdict = admission.validate_update(new, old, NO_LOOKUP)
    assert [e.path for e in verdict.errors] == [
        "spec.model.id",
        "spec.engine.type",
        "spec.provider.name",
        "spec.serving.mode",
        "spec.model.storage",
    ]
