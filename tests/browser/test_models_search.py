"""Model search through the hub endpoint saved in Settings (a loopback stand-in for Hugging Face):
hub results appear as cards with a GPU-fit hint and can be deployed from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.backend_process import Backend
from tests.browser.conftest import screenshot
from tests.browser.hub_stub import HubStub


@pytest.fixture
def hub(backend: Backend) -> Iterator[HubStub]:
    stub = HubStub()
    before = backend.get_json("/api/settings")
    try:
        yield stub
    finally:
        stub.close()
        backend.put_json("/api/settings", before)


def test_search_answers_from_the_configured_hub(page: Page, backend: Backend, hub: HubStub) -> None:
    page.goto("/settings")
    page.get_by_label("Hugging Face endpoint", exact=True).fill(hub.url)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    page.goto("/models")
    page.get_by_label("Search models", exact=True).fill("acme-labs")
    page.get_by_role("button", name="Search").click()
    tiny = page.locator('article[data-model-id="acme-labs/tiny-chat-1b"]')
    expect(tiny).to_contain_text("huggingface")
    expect(tiny).to_contain_text("1.1B")
    expect(tiny.get_by_test_id("gpu-fit")).to_contain_text("fits one 80 GB GPU")
    huge = page.locator('article[data-model-id="acme-labs/huge-chat-400b"]')
    expect(huge).to_contain_text("gated")
    # 400B parameters need more GPU memory than the eight 80 GB GPUs of one kwok node.
    expect(huge.get_by_test_id("gpu-fit")).to_contain_text("more than 8 \u00d7 80 GB GPUs on a node")
    expect(page.get_by_test_id("hub-offline")).to_have_count(0)
    screenshot(page, "models-search-hub")
    assert [q["search"] for q in hub.queries] == [["acme-labs"]]

    tiny.get_by_role("button", name="Deploy").click()
    expect(page.get_by_label("Model id", exact=True)).to_have_value("acme-labs/tiny-chat-1b")
    expect(page.get_by_label("Name", exact=True)).to_have_value("tiny-chat-1b")
