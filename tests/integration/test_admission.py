"""The running webhook admits and rejects ModelDeployments through the real API server.

One operator process serves the webhook on a free loopback port and registers the shipped
configuration for it (`--register-webhook`); stopping it removes the registration again.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator, deregister, registration_exists, webhook_answers
from tests.support import wait_for

G, V, PLURAL = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


def md(name: str = "m", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "engine": {"type": "vllm"}},
    }
    body["spec"].update(spec)
    return body


def create(
    cluster: Cluster, namespace: str, body: dict[str, Any], dry_run: bool = False
) -> tuple[Any, list[str]]:
    """Create and return (stored object, admission warnings)."""
    data, _, headers = cluster.custom.create_namespaced_custom_object_with_http_info(
        G, V, namespace, PLURAL, copy.deepcopy(body), dry_run="All" if dry_run else None
    )
    return data, [h for h in (headers.get("Warning") or "").split(", ") if h]


def rejection(call: Any) -> str:
    with pytest.raises(ApiException) as caught:
        call()
    return str(json.loads(caught.value.body)["message"])


@pytest.fixture(scope="module")
def webhook(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    log = tmp_path_factory.mktemp("webhook") / "operator.log"
    op = Operator(cluster.kubeconfig, log, "--register-webhook")
    try:
        op.wait_healthy()
        ns = "webhook-probe"
        try:
            cluster.core.create_namespace({"metadata": {"name": ns}})
        except ApiException as err:
            if err.status != 409:
                raise
        wait_for(lambda: webhook_answers(cluster.api_client, ns), 60, "the webhook to answer")
        yield op
    finally:
        op.kill()
        deregister(cluster.api_client)


def test_valid_modeldeployment_is_admitted(cluster: Cluster, namespace: str, webhook: Operator) -> None:
    stored, warnings = create(cluster, namespace, md("ok"))
    assert stored["metadata"]["name"] == "ok"
    assert warnings == []


def test_webhook_only_rules_reject_with_every_problem_named(
    cluster: Cluster, namespace: str, webhook: Operator
) -> None:
    body = md(
        "bad",
        provider={"overrides": {"spec": {"template": {"spec": {"hostNetwork": True}}}, "replicas": 3}},
    )
    message = rejection(lambda: create(cluster, namespace, body))
    assert "denied the request" in message
    assert "spec.provider.overrides.spec.template.spec.hostNetwork" in message
    assert "spec.provider.overrides.replicas" in message


def test_warnings_are_returned_as_admission_warnings(
    cluster: Cluster, namespace: str, webhook: Operator
) -> None:
    body = md("warn", engine={"type": "vllm", "trustRemoteCode": True})
    _, warnings = create(cluster, namespace, body)
    assert any("trustRemoteCode" in w for w in warnings), warnings


def test_named_provider_that_does_not_exist_is_rejected(
    cluster: Cluster, namespace: str, webhook: Operator
) -> None:
    body = md("ghost", provider={"name": "no-such-provider"})
    message = rejection(lambda: create(cluster, namespace, body))
    assert "spec.provider.name" in message
    assert "no-such-provider" in message


def test_identity_fields_are_immutable_on_update(cluster: Cluster, namespace: str, webhook: Operator) -> None:
    create(cluster, namespace, md("ident"))
    patch = {"spec": {"model": {"id": "meta-llama/Llama-3.1-8B-Instruct"}}}
    message = rejection(
        lambda: cluster.custom.patch_namespaced_custom_object(G, V, namespace, PLURAL, "ident", patch)
    )
    assert "spec.model.id" in message
    stored = cluster.custom.get_namespaced_custom_object(G, V, namespace, PLURAL, "ident")
    assert stored["spec"]["model"]["id"] == "Qwen/Qwen2.5-0.5B-Instruct"


def test_status_writes_bypass_the_webhook(cluster: Cluster, namespace: str, webhook: Operator) -> None:
    create(cluster, namespace, md("status"))
    cluster.custom.patch_namespaced_custom_object_status(
        G, V, namespace, PLURAL, "status", {"status": {"phase": "Pending"}}
    )
    assert (
        cluster.custom.get_namespaced_custom_object(G, V, namespace, PLURAL, "status")["status"]["phase"]
        == "Pending"
    )


def warnings_of(headers: Any) -> str:
    return str(headers.get("Warning") or "")


def test_provider_config_with_bad_cel_is_admitted_with_a_warning_naming_the_rule(
    cluster: Cluster, webhook: Operator
) -> None:
    """Upstream admits any CEL text and skips a bad rule at selection; we admit it too, and warn."""

    def ipc(name: str, condition: str) -> dict[str, Any]:
        return {
            "apiVersion": f"{G}/{V}",
            "kind": "InferenceProviderConfig",
            "metadata": {"name": name},
            "spec": {
                "selectionRules": [
                    {"condition": "true", "priority": 1},
                    {"condition": condition, "priority": 5},
                ]
            },
        }

    plural = constants.PROVIDERCONFIG_PLURAL
    stored, _, headers = cluster.custom.create_cluster_custom_object_with_http_info(
        G, V, plural, ipc("typo", "spec.engine.type =="), dry_run="All"
    )
    assert stored["spec"]["selectionRules"][1]["condition"] == "spec.engine.type =="
    warning = warnings_of(headers)
    assert "spec.selectionRules[1].condition (at 1:20: Syntax error" in warning, warning
    assert "selection skips it" in warning
    assert "spec.selectionRules[0]" not in warning
    good = ipc("fine", "has(spec.resources) && spec.resources.gpu.count > 1")
    _, _, headers = cluster.custom.create_cluster_custom_object_with_http_info(
        G, V, plural, good, dry_run="All"
    )
    assert warnings_of(headers) == ""


@pytest.mark.parametrize(
    ("provider", "spec", "expected"),
    [
        pytest.param(
            "kaito",
            {"tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]},
            "spec.tolerations is ignored by provider kaito",
            id="kaito",
        ),
        pytest.param(
            "vllm",
            {"resources": {"gpu": {"count": 1, "type": "amd.com/gpu"}}},
            "spec.resources.gpu.type 'amd.com/gpu' is ignored by provider 'vllm'",
            id="vllm",
        ),
    ],
)
def test_the_named_providers_warnings_come_back_through_the_api_server(
    cluster: Cluster, namespace: str, webhook: Operator, provider: str, spec: dict[str, Any], expected: str
) -> None:
    # No engine type: the provider is not looked up, so this holds whether or not it is registered.
    body = md(f"warn-{provider}", provider={"name": provider}, engine={"enforceEager": False}, **spec)
    _, _, headers = cluster.custom.create_namespaced_custom_object_with_http_info(
        G, V, namespace, PLURAL, body, dry_run="All"
    )
    assert expected in warnings_of(headers)


def test_stopping_the_operator_removes_the_registration_and_schema_rules_still_hold(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--register-webhook")
    try:
        op.wait_healthy()
        wait_for(lambda: webhook_answers(cluster.api_client, namespace), 60, "the webhook to answer")
        assert op.stop() == 0, op.output()
    finally:
        op.kill()
    assert not registration_exists(cluster.api_client)
    # A webhook-only rule no longer applies...
    create(cluster, namespace, md("loose", provider={"overrides": {"hostNetwork": True}}), dry_run=True)
    # ...but the schema's own rules still reject bad input, naming the field.
    message = rejection(lambda: create(cluster, namespace, md("strict", scaling={"replicas": -1})))
    assert "spec.scaling.replicas" in message


def test_finalizer_removal_works_while_the_webhook_is_down(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    op = Operator(cluster.kubeconfig, tmp_path / "op.log", "--register-webhook")
    try:
        op.wait_healthy()
        wait_for(lambda: webhook_answers(cluster.api_client, namespace), 60, "the webhook to answer")
        body = md("held")
        body["metadata"]["finalizers"] = ["airunway.ai/test-hold"]
        create(cluster, namespace, body)
        op.kill()  # no clean shutdown: the registration stays while nothing serves it
        assert registration_exists(cluster.api_client)
        # An ordinary update is refused (failurePolicy: Fail; an annotation, since updates of
        # labels or finalizers only never reach the webhook) ...
        rejection(
            lambda: cluster.custom.patch_namespaced_custom_object(
                G, V, namespace, PLURAL, "held", {"metadata": {"annotations": {"x": "y"}}}
            )
        )
        # ... but deleting and releasing the finalizer is never blocked.
        cluster.custom.delete_namespaced_custom_object(G, V, namespace, PLURAL, "held")
        cluster.custom.patch_namespaced_custom_object(
            G, V, namespace, PLURAL, "held", {"metadata": {"finalizers": None}}
        )

        def gone() -> bool:
            try:
                cluster.custom.get_namespaced_custom_object(G, V, namespace, PLURAL, "held")
            except ApiException as err:
                return bool(err.status == 404)
            return False

        wait_for(gone, 30, "the ModelDeployment to be deleted")
    finally:
        op.kill()
        deregister(cluster.api_client)
