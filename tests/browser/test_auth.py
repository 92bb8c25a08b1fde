"""With auth on, the UI asks for a bearer token when the backend answers 401, keeps it, and then shows
what that identity may see; a token can also arrive in the URL as #token=..."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client
from playwright.sync_api import Browser, Page, expect

from airunway_operator.api import constants
from tests.browser.backend_process import Backend
from tests.browser.conftest import screenshot
from tests.conftest import Cluster
from tests.support import ignore_missing, vllm_md


@pytest.fixture
def auth_backend(cluster: Cluster, namespace: str, tmp_path: Path) -> Iterator[Backend]:
    server = Backend(cluster.kubeconfig, tmp_path / "backend.log", namespace, auth=True)
    try:
        health = server.wait_ready()
        assert health["auth"]["enabled"] is True
        yield server
    finally:
        server.kill()
    server.assert_no_tracebacks()


@pytest.fixture
def reader_token(cluster: Cluster, namespace: str) -> Iterator[str]:
    """A service account's token allowed to read ModelDeployments in every namespace, and nothing else."""
    name = f"ui-md-reader-{uuid.uuid4().hex[:6]}"
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    cluster.core.create_namespaced_service_account(namespace, {"metadata": {"name": "reader"}})
    rbac.create_cluster_role(
        {
            "metadata": {"name": name},
            "rules": [
                {
                    "apiGroups": [constants.GROUP],
                    "resources": [constants.MODELDEPLOYMENT_PLURAL],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        }
    )
    rbac.create_cluster_role_binding(
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        }
    )
    try:
        answer = cluster.core.create_namespaced_service_account_token(
            "reader", namespace, {"spec": {"expirationSeconds": 600}}
        )
        yield answer.status.token
    finally:
        ignore_missing(rbac.delete_cluster_role_binding, name)
        ignore_missing(rbac.delete_cluster_role, name)


@pytest.fixture
def namespace_reader_token(cluster: Cluster, namespace: str) -> str:
    """A token allowed to read ModelDeployments in `namespace` only (a Role, not a ClusterRole)."""
    cluster.core.create_namespaced_service_account(namespace, {"metadata": {"name": "ns-reader"}})
    rbac = client.RbacAuthorizationV1Api(cluster.api_client)
    rule = {
        "apiGroups": [constants.GROUP],
        "resources": [constants.MODELDEPLOYMENT_PLURAL],
        "verbs": ["get", "list", "watch"],
    }
    rbac.create_namespaced_role(namespace, {"metadata": {"name": "md-reader"}, "rules": [rule]})
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "md-reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "md-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "ns-reader", "namespace": namespace}],
        },
    )
    answer = cluster.core.create_namespaced_service_account_token(
        "ns-reader", namespace, {"spec": {"expirationSeconds": 600}}
    )
    token: str = answer.status.token
    return token


def test_token_banner_then_the_callers_view(
    browser: Browser, cluster: Cluster, namespace: str, auth_backend: Backend, reader_token: str
) -> None:
    cluster.custom.create_namespaced_custom_object(
        constants.GROUP, constants.VERSION, namespace, constants.MODELDEPLOYMENT_PLURAL, vllm_md("visible")
    )
    context = browser.new_context(base_url=auth_backend.url, viewport={"width": 1280, "height": 800})
    try:
        page: Page = context.new_page()
        page.goto("/deployments")
        banner = page.locator("form.auth-banner")
        expect(banner).to_contain_text("This backend requires authentication")
        expect(page.get_by_role("alert")).to_contain_text("a bearer token is required")
        screenshot(page, "auth-banner")

        # A wrong token is refused and the banner says so.
        page.get_by_label("Bearer token").fill("not-a-token")
        page.get_by_role("button", name="Use token").click()
        expect(banner).to_contain_text("The stored token was refused")

        page.get_by_label("Bearer token").fill(reader_token)
        page.get_by_role("button", name="Use token").click()
        row = page.locator(f'tr[data-deployment="{namespace}/visible"]')
        expect(row).to_be_visible()
        expect(banner).to_have_count(0)
        assert page.evaluate("localStorage.getItem('airunway.token')") == reader_token

        # The token is the caller's identity: it may read ModelDeployments but not Runtimes' configs.
        page.goto("/runtimes")
        expect(page.get_by_role("alert")).to_contain_text("forbidden")

        # Forgetting the token brings the banner back.
        page.get_by_role("button", name="Forget token").click()
        expect(banner).to_contain_text("This backend requires authentication")
        assert page.evaluate("localStorage.getItem('airunway.token')") is None
    finally:
        context.close()


def test_token_from_the_url_is_kept_and_removed_from_the_address(
    browser: Browser, namespace: str, auth_backend: Backend, reader_token: str
) -> None:
    context = browser.new_context(base_url=auth_backend.url)
    try:
        page = context.new_page()
        page.goto(f"/deployments#token={reader_token}")
        expect(page.get_by_role("heading", name="Deployments")).to_be_visible()
        expect(page.get_by_text("No ModelDeployments yet").or_(page.locator("table"))).to_be_visible()
        expect(page.locator("form.auth-banner")).to_have_count(0)
        assert "#token" not in page.url
        assert page.evaluate("localStorage.getItem('airunway.token')") == reader_token
    finally:
        context.close()


def test_a_namespace_scoped_caller_picks_its_namespace(
    browser: Browser, cluster: Cluster, namespace: str, auth_backend: Backend, namespace_reader_token: str
) -> None:
    cluster.custom.create_namespaced_custom_object(
        constants.GROUP, constants.VERSION, namespace, constants.MODELDEPLOYMENT_PLURAL, vllm_md("mine")
    )
    context = browser.new_context(base_url=auth_backend.url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"/deployments#token={namespace_reader_token}")
        # Listing across namespaces is the API server's 403, shown as it wrote it, with a way out.
        expect(page.get_by_role("alert")).to_contain_text("cannot list resource")
        expect(page.get_by_test_id("pick-namespace")).to_be_visible()
        screenshot(page, "auth-namespace-scoped")
        # It may not list namespaces either, so the filter is a text field.
        page.get_by_label("Namespace filter").fill(namespace)
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(rf"/deployments\?namespace={namespace}$"))
        expect(page.locator(f'tr[data-deployment="{namespace}/mine"]')).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)

        page.goto("/deployments?namespace=default")
        expect(page.get_by_role("alert")).to_contain_text('cannot list resource "modeldeployments"')
    finally:
        context.close()
