from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from airunway_backend import installation, runtimes
from airunway_operator.api import constants
from tests.support import REPO, manifests

NOW = datetime(2026, 1, 1, 0, 2, 0, tzinfo=UTC)


def shipped(name: str) -> dict[str, Any]:
    return next(body for _, body in manifests("config/providers") if body["metadata"]["name"] == name)


def test_a_registered_provider_with_its_heartbeat_age_and_upstream_verdict() -> None:
    ipc = shipped("kaito")
    ipc["status"] = {
        "ready": True,
        "version": "kaito-provider:0.1.0",
        "lastHeartbeat": "2026-01-01T00:01:30Z",
        "conditions": [
            {
                "type": "UpstreamReady",
                "status": "False",
                "reason": "NotInstalled",
                "message": "m",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    view = runtimes.runtime(ipc, NOW)
    assert (view["name"], view["displayName"], view["ready"], view["version"]) == (
        "kaito",
        "KAITO",
        True,
        "kaito-provider:0.1.0",
    )
    assert (view["heartbeatAgeSeconds"], view["lastHeartbeat"]) == (30, "2026-01-01T00:01:30Z")
    assert view["installed"] is False  # the upstream probe's verdict wins over readiness
    assert view["capabilities"] == {
        "engines": ["vllm", "llamacpp"],
        "servingModes": ["aggregated"],
        "gpu": True,
        "cpu": True,
    }
    assert view["installation"]["helmCharts"][0]["chart"] == "kaito/workspace"
    assert view["defaultNamespace"] == "kaito-workspace"


def test_a_provider_not_yet_registered() -> None:
    view = runtimes.runtime(shipped("vllm"), NOW)
    assert (view["ready"], view["version"], view["heartbeatAgeSeconds"], view["installed"]) == (
        False,
        None,
        None,
        False,
    )
    assert view["installation"]["steps"][0]["title"] == "Install NVIDIA GPU Device Plugin"


def test_a_broken_annotation_gives_an_empty_installation() -> None:
    ipc = {"metadata": {"name": "x", "annotations": {constants.ANNOTATION_INSTALLATION: "{not json"}}}
    assert runtimes.runtime(ipc, NOW)["installation"] == {}


def test_runtimes_are_sorted_by_name() -> None:
    ipcs = [body for _, body in manifests("config/providers")]
    assert [r["name"] for r in runtimes.runtimes(ipcs, NOW)] == ["dynamo", "kaito", "kuberay", "llmd", "vllm"]


def test_commands_are_the_annotation_steps_verbatim() -> None:
    info = runtimes.runtime(shipped("kaito"), NOW)["installation"]
    commands = installation.commands(info)
    assert commands == [step["command"] for step in info["steps"]]
    assert commands[0] == "helm repo add kaito https://kaito-project.github.io/kaito/charts/kaito"
    assert (REPO / "config/providers/kaito.yaml").is_file()


def test_commands_rendered_from_repos_and_charts_without_steps() -> None:
    info = {
        "helmRepos": [{"name": "r", "url": "https://example.invalid/charts"}],
        "helmCharts": [
            {
                "name": "rel",
                "chart": "r/c",
                "version": "1.0",
                "namespace": "ns",
                "createNamespace": True,
                "values": {"a.b": True, "n": 2},
            }
        ],
    }
    assert installation.commands(info) == [
        "helm repo add r https://example.invalid/charts",
        "helm upgrade --install rel r/c --version 1.0 -n ns --create-namespace --set a.b=true --set n=2",
    ]


def test_only_plain_helm_commands_are_run() -> None:
    assert installation.helm_args("helm upgrade --install x ./chart -n 'my ns'") == [
        "upgrade",
        "--install",
        "x",
        "./chart",
        "-n",
        "my ns",
    ]
    assert installation.helm_args("kubectl apply -f x.yaml") is None
    assert installation.helm_args("helm repo update ; rm -rf /") is None
    assert installation.helm_args("helm 'unterminated") is None
    assert installation.helm_args("helm repo add kaito https://x/charts") == [
        "repo",
        "add",
        "kaito",
        "https://x/charts",
    ]
    assert installation.helm_args("helm repo update") == ["repo", "update"]
    assert installation.helm_args("helm install x ./c") == ["install", "x", "./c"]


@pytest.mark.parametrize(
    "command",
    [
        "helm plugin install https://example.invalid/p",
        "helm uninstall x",
        "helm repo remove kaito",
        "helm",
        "helm upgrade --install x ./c --kubeconfig /etc/admin.conf",
        "helm upgrade --install x ./c --kube-token=abc",
        "helm install x ./c --kube-as-user=system:admin",
        "helm upgrade --install x ./c --post-renderer ./run-me",
        "helm install x ./c & rm -rf /",
    ],
)
def test_helm_commands_the_backend_leaves_to_the_user(command: str) -> None:
    assert installation.helm_args(command) is None
