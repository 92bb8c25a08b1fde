"""Browser tests: the real operator and backend on the local plane, driven through Debian's Chromium.

Playwright's Python package talks to /usr/bin/chromium (never a browser download of its own). Every page
visited is saved as a full-page screenshot under .artifacts/screenshots/ in the repository.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes.client.rest import ApiException
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.browser.backend_process import Backend
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import REPO

# Playwright's 5 s default is tight for a loaded 2-core CI machine polling a real control plane.
expect.set_options(timeout=15_000)

CHROMIUM = Path(os.environ.get("AIRUNWAY_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO / ".artifacts" / "screenshots"
UI_INDEX = REPO / "airunway_backend" / "static" / "index.html"


def _required(ok: bool, why: str) -> None:
    """Skip locally, fail under CI: there .ci/run installs Chromium and builds the UI first."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _required(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    _required(UI_INDEX.exists(), "the UI is not built (make ui)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def operator(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("browser-operator") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook")
    op.wait_healthy()
    yield op
    op.kill()


@pytest.fixture(scope="module")
def backend(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    settings_namespace = f"ui-settings-{uuid.uuid4().hex[:6]}"
    cluster.core.create_namespace({"metadata": {"name": settings_namespace}})
    log = tmp_path_factory.mktemp("browser-backend") / "backend.log"
    server = Backend(cluster.kubeconfig, log, settings_namespace)
    try:
        server.wait_ready()
        yield server
    finally:
        server.kill()
        print(f"backend log: {log}")
        try:
            cluster.core.delete_namespace(settings_namespace)
        except ApiException as err:
            if err.status != 404:
                raise
    server.assert_no_tracebacks()


@pytest.fixture
def page(browser: Browser, backend: Backend) -> Iterator[Page]:
    """A fresh browser tab on the backend; fails the test on any uncaught script error in the page."""
    context = browser.new_context(base_url=backend.url, viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))

    def console(message: ConsoleMessage) -> None:
        # A failed fetch of an API path is the page's business (it shows the error); anything else is a bug.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    tab.on("console", console)
    yield tab
    context.close()
    assert not errors, "errors in the page:\n" + "\n".join(errors)


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept as a test artifact; its path is printed for the log."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path
