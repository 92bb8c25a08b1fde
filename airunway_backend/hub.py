"""Hugging Face model search over HTTP, with a short timeout and an "offline" answer instead of an
error when the hub cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from airunway_backend.catalog import Model, from_hub

#: Fields asked of the hub for each result (the search answers only id and a few counters otherwise).
EXPAND = ("pipeline_tag", "tags", "downloads", "likes", "gated", "safetensors")


@dataclass(frozen=True)
class HubAnswer:
    reachable: bool
    message: str
    models: list[Model]


async def search(endpoint: str, query: str, limit: int, wait_seconds: float) -> HubAnswer:
    url = endpoint.rstrip("/") + "/api/models"
    params: list[tuple[str, str]] = [
        ("search", query),
        ("limit", str(limit)),
        ("sort", "downloads"),
        ("direction", "-1"),
        *(("expand[]", field) for field in EXPAND),
    ]
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=wait_seconds)) as session,
            session.get(url, params=params, headers={"Accept": "application/json"}) as response,
        ):
            if response.status != 200:
                return HubAnswer(False, f"offline: {endpoint} answered HTTP {response.status}", [])
            payload: Any = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        reason = type(err).__name__
        return HubAnswer(False, f"offline: Hugging Face hub at {endpoint} is not reachable ({reason})", [])
    if not isinstance(payload, list):
        return HubAnswer(False, f"offline: {endpoint} did not answer a model list", [])
    models = [m for m in (from_hub(e) for e in payload if isinstance(e, dict)) if m is not None]
    return HubAnswer(True, f"{len(models)} results from {endpoint}", models[:limit])
