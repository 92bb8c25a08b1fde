"""The web UI in Chromium against the real backend, operator and local plane: every page renders with
live data, a model deployed through the form reaches Running on a kwok GPU node, shows its conditions
and pods, and is deleted; bad input is refused naming the field, and the API server's own rejection
is shown as it wrote it."""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

from kubernetes.client.rest import ApiException
from playwright.sync_api import Page, expect

from airunway_operator.api import constants
from tests.browser.backend_process import Backend
from tests.browser.conftest import screenshot
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import MODEL_ID, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


def modeldeployments(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cluster.custom.list_namespaced_custom_object(G, V, namespace, MD)["items"]
    return items


def gone(cluster: Cluster, namespace: str, name: str) -> bool:
    try:
        cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    except ApiException as err:
        if err.status == 404:
            return True
        raise
    return False


def catalog_model(backend: Backend) -> str:
    """The catalog entry to deploy: the small Qwen model when the catalog has it."""
    ids = [m["id"] for m in backend.get_json("/api/models")["items"]]
    assert ids, "the model catalog is empty"
    return MODEL_ID if MODEL_ID in ids else ids[0]


def running(cluster: Cluster, namespace: str, name: str) -> bool:
    md = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return bool((md.get("status") or {}).get("phase") == "Running")


def test_every_page_renders_live_data(
    page: Page, cluster: Cluster, namespace: str, operator: Operator, backend: Backend
) -> None:
    # A few ModelDeployments made with the Kubernetes API, so the list shows more than one state:
    # two run on kwok GPU nodes; one asks for more GPUs than any node has and its pod stays Pending.
    for body in (vllm_md("qwen-chat"), vllm_md("qwen-batch", replicas=2), vllm_md("too-big")):
        if body["metadata"]["name"] == "too-big":
            body["spec"]["resources"]["gpu"]["count"] = 16
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
    for name in ("qwen-chat", "qwen-batch"):
        wait_for(functools.partial(running, cluster, namespace, name), 120, f"{name} to run")

    page.goto("/models")
    expect(page.get_by_test_id("cluster-status")).to_contain_text("Cluster connected")
    cards = page.locator("article.model-card")
    expect(cards.first).to_be_visible()
    assert cards.count() == len(backend.get_json("/api/models")["items"])
    # kwok's GPU nodes carry the GPU feature-discovery labels: every card gets a fit verdict.
    expect(page.get_by_text(re.compile(r"Cluster GPUs: \d+ of \d+ available"))).to_be_visible()
    screenshot(page, "models")

    # The hub is a closed loopback port here: a search says so and still lists the catalog.
    page.get_by_label("Search models", exact=True).fill("qwen")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("hub-offline")).to_contain_text("offline")
    screenshot(page, "models-search-offline")

    page.goto("/runtimes")
    vllm = page.locator('article[data-runtime="vllm"]')
    expect(vllm).to_contain_text("ready", timeout=30_000)
    expect(vllm.get_by_text("not ready")).to_have_count(0, timeout=30_000)
    # helm is not available to this backend: the install button answers the commands to run.
    vllm.get_by_role("button", name=re.compile("Install|Reinstall")).click()
    expect(vllm.get_by_test_id("install-output")).to_contain_text("Helm is not available")
    runtime = next(r for r in backend.get_json("/api/runtimes")["items"] if r["name"] == "vllm")
    commands = backend.get_json("/api/installation/vllm")["commands"]
    assert commands, runtime
    expect(vllm.get_by_test_id("install-commands")).to_have_text("\n".join(commands))
    screenshot(page, "runtimes")

    # A custom model saved in Settings shows up in the catalog with its GPU-fit verdict.
    page.goto("/settings")
    page.get_by_label("Default namespace", exact=True).fill(namespace)
    page.get_by_label("Custom model id", exact=True).fill("acme/big-model")
    page.get_by_label("Custom model name", exact=True).fill("Acme Big")
    page.get_by_label("Custom model GPU memory", exact=True).fill("200GB")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    screenshot(page, "settings")
    stored = backend.get_json("/api/settings")
    assert stored["defaultNamespace"] == namespace
    assert [m["id"] for m in stored["customModels"]] == ["acme/big-model"]
    page.goto("/models")
    custom = page.locator('article[data-model-id="acme/big-model"]')
    expect(custom).to_contain_text("custom")
    expect(custom.get_by_test_id("gpu-fit")).to_contain_text("needs 3 \u00d7 80 GB GPUs on one node")

    # The deploy form starts in the saved default namespace and warns about GPUs no node has.
    custom.get_by_role("button", name="Deploy").click()
    expect(page.get_by_label("Model id", exact=True)).to_have_value("acme/big-model")
    expect(page.get_by_label("Namespace", exact=True)).to_have_value(namespace)
    page.get_by_label("GPUs per replica", exact=True).fill("16")
    expect(page.get_by_test_id("capacity-warning")).to_contain_text("more than any node has (at most 8)")
    # 8 GPUs fit a node, but five replicas of them are more than the cluster's 32.
    page.get_by_label("GPUs per replica", exact=True).fill("8")
    page.get_by_label("Replicas", exact=True).fill("5")
    warning = page.get_by_test_id("capacity-warning")
    expect(warning).to_contain_text(re.compile(r"40 GPUs requested in total, but only \d+ of 32 are free"))
    expect(warning).not_to_contain_text("more than any node has")
    screenshot(page, "deploy")

    page.goto("/deployments")
    expect(page.get_by_role("heading", name="Deployments")).to_be_visible()
    for name, replicas in (("qwen-chat", "1/1"), ("qwen-batch", "2/2")):
        row = page.locator(f'tr[data-deployment="{namespace}/{name}"]')
        expect(row.get_by_test_id("phase")).to_have_text("Running")
        expect(row.get_by_test_id("replicas")).to_have_text(replicas)
    too_big = page.locator(f'tr[data-deployment="{namespace}/too-big"]')
    expect(too_big.get_by_test_id("phase")).not_to_have_text("Running")
    expect(too_big.get_by_test_id("replicas")).to_have_text("0/1")
    screenshot(page, "deployments")

    # The pending one's details say why: the scheduler's event names the missing GPUs.
    too_big.get_by_role("link", name="too-big").click()
    events = page.get_by_role("table", name="Events")
    expect(events).to_contain_text("FailedScheduling", timeout=30_000)
    expect(events).to_contain_text("nvidia.com/gpu")
    screenshot(page, "deployment-details-pending")


def test_deploy_from_the_catalog_runs_and_is_deleted(
    page: Page, cluster: Cluster, namespace: str, operator: Operator, backend: Backend
) -> None:
    model = catalog_model(backend)
    name = f"ui-{uuid.uuid4().hex[:6]}"

    page.goto("/models")
    page.locator(f'article[data-model-id="{model}"]').get_by_role("button", name="Deploy").click()
    expect(page).to_have_url(re.compile(r"/deploy\?"))
    expect(page.get_by_label("Model id", exact=True)).to_have_value(model)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Namespace", exact=True).select_option(namespace)
    page.get_by_label("Engine", exact=True).select_option("vllm")
    page.get_by_label("Provider", exact=True).fill("vllm")
    page.get_by_label("GPUs per replica", exact=True).fill("1")
    page.get_by_label("Replicas", exact=True).fill("1")
    expect(page.get_by_test_id("capacity-ok")).to_contain_text("1 GPU requested")
    screenshot(page, "deploy-form")
    page.get_by_role("button", name="Deploy", exact=True).click()

    # Created: the page moves to the details of the new ModelDeployment, which exists in the cluster
    # with the spec the form stands for.
    expect(page).to_have_url(re.compile(rf"/deployments/{namespace}/{name}$"))
    spec = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)["spec"]
    assert spec["model"]["id"] == model
    assert spec["engine"]["type"] == "vllm"
    assert spec["provider"]["name"] == "vllm"
    assert spec["resources"]["gpu"]["count"] == 1
    assert spec["scaling"]["replicas"] == 1

    page.get_by_role("link", name="Deployments", exact=True).first.click()
    row = page.locator(f'tr[data-deployment="{namespace}/{name}"]')
    expect(row.get_by_test_id("phase")).to_have_text("Running", timeout=120_000)
    expect(row.get_by_test_id("replicas")).to_have_text("1/1", timeout=30_000)
    expect(row).to_contain_text("vllm")
    screenshot(page, "deployments-running")

    row.get_by_role("link", name=name).click()
    expect(page.get_by_test_id("phase")).to_have_text("Running")
    conditions = page.get_by_role("table", name="Conditions")
    expect(conditions.get_by_role("row", name=re.compile(r"^Ready True DeploymentReady"))).to_be_visible()
    expect(conditions.get_by_role("row", name=re.compile(r"^ResourceCreated True"))).to_be_visible()
    pods = page.get_by_role("table", name="Pods")
    expect(pods.locator("tbody tr")).to_have_count(1)
    expect(pods.locator("tbody tr")).to_contain_text("Running")
    expect(pods.locator("tbody tr")).to_contain_text("kwok-gpu-")
    pods.get_by_role("button", name="Logs").click()
    expect(page.get_by_text(re.compile(r"^Logs of "))).to_be_visible()
    screenshot(page, "deployment-details")

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Confirm delete").click()
    expect(page).to_have_url(re.compile(r"/deployments$"))
    expect(page.locator(f'tr[data-deployment="{namespace}/{name}"]')).to_have_count(0, timeout=90_000)
    wait_for(lambda: gone(cluster, namespace, name), 30, "the ModelDeployment to be gone")
    screenshot(page, "deployments-after-delete")


def test_bad_name_is_refused_naming_the_field(
    page: Page, cluster: Cluster, namespace: str, backend: Backend
) -> None:
    page.goto(f"/deploy?model={MODEL_ID}")
    page.get_by_label("Name", exact=True).fill("Bad_Name")
    page.get_by_label("Namespace", exact=True).select_option(namespace)
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.locator("#name-error")).to_contain_text("name must be a DNS-1123 label")
    screenshot(page, "deploy-validation")
    expect(page).to_have_url(re.compile(r"/deploy\?"))
    assert modeldeployments(cluster, namespace) == []

    # Fixing the field clears the message as it is typed.
    page.get_by_label("Name", exact=True).fill("good-name")
    expect(page.locator("#name-error")).to_have_count(0)


def test_api_server_rejection_is_shown_verbatim(
    page: Page, cluster: Cluster, namespace: str, backend: Backend
) -> None:
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("taken"))
    page.goto(f"/deploy?model={MODEL_ID}&name=taken&namespace={namespace}")
    page.get_by_role("button", name="Deploy", exact=True).click()
    alert = page.get_by_role("alert").filter(has_text="rejected")
    expect(alert).to_contain_text('modeldeployments.airunway.ai "taken" already exists')
    screenshot(page, "deploy-rejected")
    assert [md["metadata"]["name"] for md in modeldeployments(cluster, namespace)] == ["taken"]


def test_disaggregated_form_sizes_prefill_and_decode(
    page: Page, cluster: Cluster, namespace: str, backend: Backend
) -> None:
    page.goto(f"/deploy?model={MODEL_ID}&name=split&namespace={namespace}")
    page.get_by_label("Serving mode", exact=True).select_option("disaggregated")
    page.get_by_label("GPUs per prefill/decode replica", exact=True).fill("0")
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.locator("#gpus-error")).to_contain_text("GPUs per replica must be between 1 and 64")
    page.get_by_label("GPUs per prefill/decode replica", exact=True).fill("2")
    # 2 GPUs x 1 replica for each of prefill and decode.
    expect(page.get_by_test_id("capacity-ok")).to_contain_text("4 GPUs requested")
    page.get_by_role("button", name="Deploy", exact=True).click()

    # The API server's schema rules for disaggregated mode accepted what the form sent.
    expect(page).to_have_url(re.compile(rf"/deployments/{namespace}/split$"))
    spec = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "split")["spec"]
    assert spec["serving"]["mode"] == "disaggregated"
    assert spec["scaling"]["prefill"] == {"replicas": 1, "gpu": {"count": 2, "type": "nvidia.com/gpu"}}
    assert spec["scaling"]["decode"] == {"replicas": 1, "gpu": {"count": 2, "type": "nvidia.com/gpu"}}
    assert "gpu" not in (spec.get("resources") or {})


def test_gated_model_asks_for_a_token_secret(
    page: Page, cluster: Cluster, namespace: str, backend: Backend
) -> None:
    gated = next(m["id"] for m in backend.get_json("/api/models")["items"] if m.get("gated"))
    page.goto("/models")
    page.locator(f'article[data-model-id="{gated}"]').get_by_role("button", name="Deploy").click()
    expect(page.get_by_test_id("gated-warning")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("gated")
    page.get_by_label("Namespace", exact=True).select_option(namespace)
    page.get_by_label("Hugging Face token secret", exact=True).fill("hf-token")
    expect(page.get_by_test_id("gated-warning")).to_have_count(0)
    page.get_by_role("button", name="Deploy", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/deployments/{namespace}/gated$"))
    spec = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, "gated")["spec"]
    assert spec["model"]["id"] == gated
    assert spec["secrets"] == {"huggingFaceToken": "hf-token"}


def test_settings_rejection_names_the_field(page: Page, backend: Backend) -> None:
    before = backend.get_json("/api/settings")
    page.goto("/settings")
    page.get_by_label("Default namespace", exact=True).fill("Not A Namespace")
    page.get_by_role("button", name="Save settings").click()
    # The backend's 422, shown as "<field path>: <message>".
    alert = page.get_by_role("alert").filter(has_text="Not saved")
    expect(alert).to_contain_text("defaultNamespace:")
    screenshot(page, "settings-rejected")
    assert backend.get_json("/api/settings") == before
