"""Provider unit tests stay off the network: the vLLM pre-step's registry lookups (best-effort by
default, D25) get a transport that refuses every request, as an offline cluster would."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from providers.vllm import lookup, registry


def _offline(_: object = None) -> registry.Transport:
    def send(request: urllib.request.Request, timeout: float) -> registry.Response:
        raise OSError(f"unit tests reach no registry (wanted {request.full_url})")

    return send


@pytest.fixture(autouse=True)
def no_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "urllib_transport", _offline)
    lookup.forget()
    yield
    lookup.forget()
