"""Schema problems in raw bodies become field errors with wire paths, never exceptions."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.validation import admission, lookup
from airunway_operator.validation.result import ErrorKind
from tests.unit.validation.builders import DELETE, assert_rejected, md


@pytest.mark.parametrize(
    ("body", "path", "kind", "words"),
    [
        pytest.param({"metadata": {"name": "x"}}, "spec", ErrorKind.REQUIRED, ("spec",), id="a missing spec"),
        pytest.param(
            {"spec": ["x"]}, "spec", ErrorKind.INVALID, ("object",), id="a spec that is not an object"
        ),
        pytest.param(md(model=DELETE), "spec.model", ErrorKind.REQUIRED, ("required",), id="a missing model"),
        pytest.param(
            md(engine__type="tgi"),
            "spec.engine.type",
            ErrorKind.NOT_SUPPORTED,
            ("'vllm'",),
            id="an unknown engine",
        ),
        pytest.param(
            md(model__id=7), "spec.model.id", ErrorKind.INVALID, ("valid string",), id="a number as id"
        ),
        pytest.param(
            md(engine__extraArgs="--x"),
            "spec.engine.extraArgs",
            ErrorKind.INVALID,
            ("valid list",),
            id="not a list",
        ),
        pytest.param(
            md(
                model__storage__volumes=[
                    {"name": "ok", "claimName": "c", "mountPath": "/c"},
                    {"claimName": "d"},
                ]
            ),
            "spec.model.storage.volumes[1].name",
            ErrorKind.REQUIRED,
            ("required",),
            id="a volume without name",
        ),
        pytest.param(
            md(model__storage__volumes=[{"name": "Bad_Name", "claimName": "c", "mountPath": "/c"}]),
            "spec.model.storage.volumes[0].name",
            ErrorKind.INVALID,
            ("DNS label",),
            id="a volume name that is no DNS label",
        ),
        pytest.param(
            md(model__storage__volumes=[{"name": "s", "size": "lots"}]),
            "spec.model.storage.volumes[0].size",
            ErrorKind.INVALID,
            ("resource quantity",),
            id="a size that is no quantity",
        ),
        pytest.param(
            md(model__storage__volumes=[{"name": "s", "size": {"a": 1}}]),
            "spec.model.storage.volumes[0].size",
            ErrorKind.INVALID,
            ("valid integer",),
            id="an object as size keeps the path of the size",
        ),
        pytest.param(
            md(engine__args={"x": 1}),
            "spec.engine.args.x",
            ErrorKind.INVALID,
            ("valid string",),
            id="a number arg",
        ),
        pytest.param(
            md(nodeSelector={"kubernetes.io/arch": 1}),
            "spec.nodeSelector[kubernetes.io/arch]",
            ErrorKind.INVALID,
            ("valid string",),
            id="map keys that are not plain names are bracketed",
        ),
        pytest.param(
            md(scaling__replicas=-1),
            "spec.scaling.replicas",
            ErrorKind.INVALID,
            ("at least 0",),
            id="a negative count",
        ),
        pytest.param(
            md(env=[{"value": "x"}]),
            "spec.env[0].name",
            ErrorKind.REQUIRED,
            ("required",),
            id="an env var without name",
        ),
    ],
)
def test_schema_problems(body: dict[str, Any], path: str, kind: ErrorKind, words: tuple[str, ...]):
    assert_rejected(admission.validate_create(body, lookup.NOT_LOOKED_UP), path, kind, *words)


def test_metadata_and_status_are_never_schema_errors():
    body = md(status={"phase": 42, "conditions": "garbage"})
    body["metadata"] |= {"annotations": {"a": 1}, "labels": "x", "creationTimestamp": "yesterday"}
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP)
    assert verdict.allowed, verdict.message()


def test_values_are_not_echoed_in_schema_errors():
    verdict = admission.validate_create(
        md(secrets__huggingFaceToken={"token": "hf_secret"}), lookup.NOT_LOOKED_UP
    )
    assert not verdict.allowed
    assert "hf_secret" not in verdict.message()
