"""Thousands of generated ModelDeployments thrown at the running webhook server.

No answer may be a server error, every answer is a well-formed AdmissionReview response, and
every rejection names at least one field of the object.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airunway_operator import tls
from tests.conftest import Cluster
from tests.operator_process import Operator, WebhookClient, admission_review
from tests.support import wait_for
from tests.unit.validation.test_properties import JSON, OLD_BODIES, SPEC_LIKE, shaped_bodies

FIELD = re.compile(r"\b(spec|metadata)(\.[A-Za-z]|\b)")
PROPERTY = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def webhook_client(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookClient]:
    certs = tmp_path_factory.mktemp("certs")
    files = tls.self_signed(["127.0.0.1"], certs)
    op = Operator(
        cluster.kubeconfig, certs / "operator.log", "--quiet", env={"AIRUNWAY_WEBHOOK_CERT_DIR": str(certs)}
    )
    client = WebhookClient(op.webhook_port, Path(files.cafile))
    try:
        op.wait_healthy()
        wait_for(client.answers, 60, "the webhook server to accept reviews")
        yield client
    finally:
        client.close()
        op.kill()


def _check(client: WebhookClient, review: dict[str, Any]) -> None:
    status, answer = client.post(review)
    assert status == 200, answer
    response = answer["response"]
    assert response["uid"] == review["request"]["uid"]
    assert isinstance(response["allowed"], bool)
    if not response["allowed"]:
        message = response["status"]["message"]
        assert response["status"]["code"] < 500 or "InternalError" in message, message
        assert FIELD.search(message), message


def _as_stored(body: Any) -> dict[str, Any]:
    """The API server only ever sends a kind with metadata; everything else may be anything."""
    spec = body.get("spec") if isinstance(body, dict) else body
    metadata = body.get("metadata") if isinstance(body, dict) else None
    name = (
        metadata.get("name") if isinstance(metadata, dict) and isinstance(metadata.get("name"), str) else "m"
    )
    stored = {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": name or "m", "namespace": "default", "uid": "0a0b", "generation": 1},
        "spec": spec,
    }
    if isinstance(body, dict) and isinstance(body.get("status"), dict):
        stored["status"] = body["status"]
    return stored


# Schema-shaped objects, arbitrary JSON where the spec should be, and spec-like nests of real field names.
BODIES = st.one_of(shaped_bodies(), JSON, SPEC_LIKE.map(lambda spec: {"spec": spec})).map(_as_stored)


@PROPERTY
@given(body=BODIES)
def test_creates_never_fail_the_server_and_rejections_name_a_field(
    webhook_client: WebhookClient, body: Any
) -> None:
    _check(webhook_client, admission_review(body))


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=shaped_bodies().map(_as_stored), old=OLD_BODIES.map(_as_stored))
def test_updates_never_fail_the_server_and_rejections_name_a_field(
    webhook_client: WebhookClient, body: Any, old: Any
) -> None:
    _check(webhook_client, admission_review(body, "UPDATE", old))
