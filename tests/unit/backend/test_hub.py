from __future__ import annotations

import asyncio

from airunway_backend import hub
from tests.unit.backend.stubs import closed_port, hub_server


def test_search_maps_the_hubs_answer() -> None:
    with hub_server() as (url, seen):
        answer = asyncio.run(hub.search(url + "/", "qwen", 5, 5.0))
    assert answer.reachable
    assert [m.id for m in answer.models] == [
        "Qwen/Qwen2.5-0.5B-Instruct",
        "someone/Qwen-Chat-14B-GGUF",
        "someone/qwen-embedder",
    ]
    first = answer.models[0]
    assert (first.source, first.parameterCount, first.size, first.gated) == (
        "huggingface",
        494_032_768,
        "494M",
        False,
    )
    assert answer.models[1].supportedEngines == ["llamacpp"]
    assert answer.models[1].gated
    assert seen[0]["search"] == ["qwen"]
    assert seen[0]["limit"] == ["5"]
    assert "safetensors" in seen[0]["expand[]"]


def test_an_unreachable_hub_is_offline() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    answer = asyncio.run(hub.search(url, "qwen", 5, 2.0))
    assert not answer.reachable
    assert answer.message.startswith("offline")
    assert url in answer.message
    assert answer.models == []


def test_a_failing_hub_is_offline() -> None:
    with hub_server(status=503) as (url, _):
        answer = asyncio.run(hub.search(url, "qwen", 5, 5.0))
    assert (answer.reachable, answer.models) == (False, [])
    assert answer.message == f"offline: {url} answered HTTP 503"
