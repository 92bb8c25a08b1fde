"""Direct vLLM image resolution through a running operator (D25), with the default image mirrored to
a registry on loopback (`imageMirror`): pinned by digest when the registry answers; with the
registry unreachable, `best-effort` runs the tag as written with `ImageResolved=False
ImageResolutionFailed` and the phase following the Deployment, and `required` fails the
ModelDeployment with upstream's message and creates no pods."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airunway_operator.api import constants
from providers.vllm import image
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.registry_server import Registry, free_port, start
from tests.support import get_or_none, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = start(tmp_path_factory.mktemp("mirror"), secure=False)
    yield server
    server.stop()


def operator(cluster: Cluster, log: Path, mode: str, host: str) -> Operator:
    env = {
        "AIRUNWAY_VLLM_IMAGE_RESOLUTION": mode,
        "AIRUNWAY_VLLM_IMAGE_MIRROR": f"{host}/hub",
        "AIRUNWAY_VLLM_REGISTRY_PLAIN_HTTP": host,
    }
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook", env=env)
    op.wait_healthy()
    return op


def status_of(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return dict(body.get("status") or {})


def in_phase(cluster: Cluster, namespace: str, name: str, phase: str) -> dict[str, Any] | None:
    status = status_of(cluster, namespace, name)
    return status if status.get("phase") == phase else None


def condition(status: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in status.get("conditions") or () if c["type"] == type_), None)


def pod_image(cluster: Cluster, namespace: str, name: str) -> str | None:
    deployment = get_or_none(cluster.apps.read_namespaced_deployment, name, namespace)
    return None if deployment is None else str(deployment.spec.template.spec.containers[0].image)


def test_the_mirrored_default_image_is_pinned_by_digest(
    cluster: Cluster, namespace: str, mirror: Registry, tmp_path: Path
) -> None:
    digest, _ = mirror.push_image("hub/vllm/vllm-openai", image.VERSION)
    op = operator(cluster, tmp_path / "operator.log", "best-effort", mirror.host)
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("pinned"))
    pinned = f"{mirror.host}/hub/vllm/vllm-openai@{digest}"
    wait_for(lambda: pod_image(cluster, namespace, "pinned") == pinned or None, 60, "the pinned pod image")
    status = wait_for(
        lambda: in_phase(cluster, namespace, "pinned", "Running"),
        90,
        "the ModelDeployment to run",
    )
    assert (status["image"]["resolved"], status["image"]["digest"]) == (pinned, digest)
    assert status["image"]["createdAt"] == "2026-03-07T11:00:00Z"
    resolved = condition(status, "ImageResolved")
    assert resolved is not None
    # Resolved on the first pass, reused from status.image on every later one.
    assert (resolved["status"], resolved["reason"]) in {
        ("True", "ImageResolved"),
        ("True", "ImageResolutionReused"),
    }
    op.stop()


def test_best_effort_runs_the_tag_as_written_when_the_registry_is_unreachable(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    host = f"127.0.0.1:{free_port()}"  # nothing listens there
    op = operator(cluster, tmp_path / "operator.log", "best-effort", host)
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("offline"))
    written = f"{host}/hub/{image.DEFAULT_IMAGE}"
    wait_for(lambda: pod_image(cluster, namespace, "offline") == written or None, 60, "the tag as written")
    status = wait_for(
        lambda: in_phase(cluster, namespace, "offline", "Running"),
        90,
        "the ModelDeployment to run",
    )
    resolved = condition(status, "ImageResolved")
    assert resolved is not None
    assert (resolved["status"], resolved["reason"]) == ("False", "ImageResolutionFailed")
    assert "Connection refused" in resolved["message"]
    assert status["image"].get("resolved") is None
    op.stop()


def test_required_fails_without_pods_when_the_registry_is_unreachable(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    host = f"127.0.0.1:{free_port()}"
    op = operator(cluster, tmp_path / "operator.log", "required", host)
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, vllm_md("strict"))
    written = f"{host}/hub/{image.DEFAULT_IMAGE}"
    status = wait_for(
        lambda: in_phase(cluster, namespace, "strict", "Failed"),
        60,
        "the ModelDeployment to fail",
    )
    assert status["message"].startswith(
        f'failed to resolve default vLLM image "{written}": resolve image reference "{written}": GET http://{host}/'
    )
    assert condition(status, "ImageResolved")["reason"] == "ImageResolutionFailed"  # type: ignore[index]
    assert pod_image(cluster, namespace, "strict") is None
    op.stop()
