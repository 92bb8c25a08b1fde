from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from airunway_backend import user_settings
from airunway_backend.auth import TokenVerdicts, bearer_token
from airunway_backend.catalog import Model
from airunway_backend.errors import admission_warnings, status_detail
from airunway_backend.user_settings import UserSettings


def test_settings_round_trip_through_config_map_data() -> None:
    settings = UserSettings(
        defaultNamespace="team-a",
        customModels=[Model(id="me/Model-3B", supportedEngines=["vllm"], source="catalog")],
        huggingFaceEndpoint="http://127.0.0.1:9999",
    )
    data = user_settings.to_data(settings)
    assert set(data) == {"defaultNamespace", "customModels", "huggingFaceEndpoint"}
    back = user_settings.from_config_map({"data": data})
    assert back.defaultNamespace == "team-a"
    assert back.huggingFaceEndpoint == "http://127.0.0.1:9999"
    assert [(m.id, m.source) for m in back.customModels] == [("me/Model-3B", "custom")]


def test_defaults_when_absent_or_broken() -> None:
    assert user_settings.from_config_map(None) == UserSettings()
    assert user_settings.from_config_map({"data": {"customModels": "[{"}}) == UserSettings()
    assert UserSettings().model_dump() == {
        "defaultNamespace": "default",
        "customModels": [],
        "huggingFaceEndpoint": None,
    }


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"defaultNamespace": "Not_A_Namespace"}, ("defaultNamespace",)),
        ({"huggingFaceEndpoint": "ftp://x"}, ("huggingFaceEndpoint",)),
        ({"customModels": [{"id": ""}]}, ("customModels", 0, "id")),
        ({"customModels": [{"id": "a", "contextLength": 0}]}, ("customModels", 0, "contextLength")),
        ({"unknown": 1}, ("unknown",)),
    ],
)
def test_invalid_settings_name_the_field(body: dict[str, Any], loc: tuple[object, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        UserSettings.model_validate(body)
    assert caught.value.errors()[0]["loc"] == loc


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer  xyz ", "xyz"),
        ("Basic abc", None),
        ("Bearer", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_token_verdicts_are_reused_for_a_while() -> None:
    asked: list[str] = []
    now = [0.0]

    async def review(token: str) -> bool:
        asked.append(token)
        return token == "good"

    verdicts = TokenVerdicts(review, clock=lambda: now[0])

    async def scenario() -> list[bool]:
        answers = [
            await verdicts.authenticated("good"),
            await verdicts.authenticated("good"),
            await verdicts.authenticated("bad"),
            await verdicts.authenticated("bad"),
        ]
        now[0] = 31.0
        answers.append(await verdicts.authenticated("good"))
        return answers

    assert asyncio.run(scenario()) == [True, True, False, False, True]
    assert asked == ["good", "bad", "good"]


def test_status_detail_keeps_the_api_servers_message() -> None:
    body = (
        '{"kind":"Status","status":"Failure","message":"admission webhook \\"x\\" denied the request: bad",'
        '"reason":"Forbidden","details":{"causes":[{"field":"spec.a","message":"no"}]},"code":403}'
    )
    assert status_detail(403, body, "Forbidden") == {
        "message": 'admission webhook "x" denied the request: bad',
        "reason": "Forbidden",
        "code": 403,
        "causes": [{"field": "spec.a", "message": "no"}],
    }
    assert status_detail(502, b"bad gateway", "x") == {
        "message": "bad gateway",
        "reason": None,
        "code": 502,
        "causes": [],
    }
    assert status_detail(500, None, "Internal")["message"] == "Internal"


def test_admission_warnings_from_warning_headers() -> None:
    values = [
        '299 - "spec.engine.trustRemoteCode: runs the \\"model\\" code", 299 - "second, with a comma"',
        '299 - "third"',
    ]
    assert admission_warnings(values) == [
        'spec.engine.trustRemoteCode: runs the "model" code',
        "second, with a comma",
        "third",
    ]
    assert admission_warnings([]) == []
