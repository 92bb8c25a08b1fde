"""Admission warnings of SPEC-core §2.6: admitted, but the user is told what will not happen."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.validation import admission, lookup
from tests.unit.validation.builders import DELETE, md


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(
            md(model__source="custom", model__id=DELETE, model__servedName="mine"),
            ("spec.model.servedName", "custom"),
            id="a served name with a custom source is ignored",
        ),
        pytest.param(
            md(engine__trustRemoteCode=True),
            ("spec.engine.trustRemoteCode", "trust"),
            id="trusting remote code is flagged",
        ),
        pytest.param(
            md(engine__type="trtllm", engine__contextLength=8192, resources__gpu__count=1),
            ("spec.engine.contextLength", "trtllm"),
            id="a context length is ignored by trtllm",
        ),
        pytest.param(
            md(
                model__storage__volumes=[
                    {"name": "cc", "purpose": "compilationCache", "claimName": "c", "readOnly": True}
                ]
            ),
            ("spec.model.storage.volumes[0].readOnly", "compilationCache"),
            id="a read-only compilation cache cannot cache",
        ),
        pytest.param(
            md(
                model__storage__volumes=[
                    {"name": "mc", "purpose": "modelCache", "claimName": "c", "readOnly": True}
                ]
            ),
            ("spec.model.storage.volumes[0].readOnly", "download will be skipped"),
            id="a read-only Hugging Face model cache skips the download",
        ),
    ],
)
def test_warns(body: dict[str, Any], words: tuple[str, ...]):
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP)
    assert verdict.allowed, verdict.message()
    assert len(verdict.warnings) == 1, verdict.warnings
    for word in words:
        assert word in verdict.warnings[0]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(md(model__servedName="mine"), id="a served name with a Hugging Face source"),
        pytest.param(md(engine__type="vllm", engine__contextLength=8192), id="a context length on vllm"),
        pytest.param(
            md(
                model__source="custom",
                model__id=DELETE,
                model__storage__volumes=[
                    {"name": "mc", "purpose": "modelCache", "claimName": "c", "readOnly": True}
                ],
            ),
            id="a read-only model cache with a custom source",
        ),
        pytest.param(md(engine__trustRemoteCode=False), id="remote code not trusted"),
    ],
)
def test_does_not_warn(body: dict[str, Any]):
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP)
    assert verdict.allowed, verdict.message()
    assert verdict.warnings == ()


def test_warnings_accompany_errors():
    verdict = admission.validate_create(
        md(engine__trustRemoteCode=True, resources__cpu="600"), lookup.NOT_LOOKED_UP
    )
    assert not verdict.allowed
    assert len(verdict.warnings) == 1
