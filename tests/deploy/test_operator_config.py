"""What the chart hands the operator is what the operator accepts: every argument parses, every
AIRUNWAY_* variable is a setting and parses, for each value set and each Deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import providers
from airunway_operator import cli
from airunway_operator.settings import Settings, provider_settings
from tests.deploy import tools
from tests.deploy.tools import Objects, container

#: Read by the webhook certificate's own settings (AIRUNWAY_WEBHOOK_*), not by Settings.
CERTIFICATE_VARIABLES = {
    "AIRUNWAY_WEBHOOK_CERT_MODE",
    "AIRUNWAY_WEBHOOK_SECRET",
    "AIRUNWAY_WEBHOOK_NAMESPACE",
    "AIRUNWAY_WEBHOOK_SERVICE",
    "AIRUNWAY_WEBHOOK_CONFIGURATION_NAME",
}
VALUE_SETS: dict[str, tuple[str, ...]] = {
    "default": (),
    "split": ("--set", "split.enabled=true", "--set", "replicas=2"),
    "certManager": ("--set", "certManager.enabled=true"),
    "everything": (
        "--set-json",
        'watchNamespaces=["a","b"]',
        "--set",
        "log.level=quiet",
        "--set",
        "log.format=json",
        "--set",
        "heartbeatSeconds=0",
        "--set",
        "finalizerTimeoutSeconds=30",
        "--set",
        "metrics.secure=true",
        "--set",
        "leaderElection.enabled=false",
        "--set",
        "imageResolution=required",
        "--set",
        "imageMirror=registry.example.com/dockerhub",
        "--set",
        "imageRegistrySecret=pull-secret",
    ),
}


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tools.chart_copy(tmp_path_factory.mktemp("chart"))


def _environment(deployment: dict[str, Any]) -> dict[str, str]:
    found = {}
    for variable in container(deployment)["env"]:
        # The downward API fills valueFrom in a pod: a namespace name stands in for it.
        found[variable["name"]] = variable.get("value", "airunway-system")
    return found


def _deployments(chart: Path, args: tuple[str, ...]) -> Objects:
    return tools.find(tools.template(chart, *args), "Deployment")


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_every_deployment_starts_with_valid_arguments_and_settings(
    chart: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_variables = {f"AIRUNWAY_{field.upper()}" for field in Settings.model_fields}
    settings_variables |= {name for provider in providers.REGISTRY for name in provider.settings}
    for deployment in _deployments(chart, VALUE_SETS[name]):
        args = container(deployment)["args"]
        parsed = cli._parser().parse_args(args)
        assert parsed.command == "run"
        environment = _environment(deployment)
        unknown = set(environment) - settings_variables - CERTIFICATE_VARIABLES
        assert not unknown, f"{deployment['metadata']['name']}: no such setting: {sorted(unknown)}"
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert settings.health_host == settings.metrics_host == settings.webhook_host == "0.0.0.0"
        for key in environment:
            monkeypatch.delenv(key)


def test_everything_value_set_reaches_the_settings(chart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [deployment] = _deployments(chart, VALUE_SETS["everything"])
    parsed = cli._parser().parse_args(container(deployment)["args"])
    assert parsed.namespace == ["a", "b"]
    assert parsed.quiet
    for key, value in _environment(deployment).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.log_format == "json"
    assert settings.heartbeat_seconds == 0
    assert settings.finalizer_timeout_seconds == 30
    assert settings.metrics_secure
    assert not settings.leader_elect
    assert provider_settings("AIRUNWAY_VLLM_") == {
        "AIRUNWAY_VLLM_IMAGE_RESOLUTION": "required",
        "AIRUNWAY_VLLM_IMAGE_MIRROR": "registry.example.com/dockerhub",
        "AIRUNWAY_VLLM_REGISTRY_AUTH_FILE": "/etc/airunway/registry/.dockerconfigjson",
    }
    pod = deployment["spec"]["template"]["spec"]
    [mount] = [m for m in container(deployment)["volumeMounts"] if m["name"] == "registry-credentials"]
    assert mount == {"name": "registry-credentials", "mountPath": "/etc/airunway/registry", "readOnly": True}
    [volume] = [v for v in pod["volumes"] if v["name"] == "registry-credentials"]
    assert volume["secret"] == {
        "secretName": "pull-secret",
        "items": [{"key": ".dockerconfigjson", "path": ".dockerconfigjson"}],
    }


def test_default_values_resolve_images_best_effort(chart: Path) -> None:
    for deployment in _deployments(chart, ()):
        environment = _environment(deployment)
        assert environment["AIRUNWAY_VLLM_IMAGE_RESOLUTION"] == "best-effort"
        assert "AIRUNWAY_VLLM_IMAGE_MIRROR" not in environment
        assert "AIRUNWAY_VLLM_REGISTRY_AUTH_FILE" not in environment


def test_split_deployments_divide_the_work(chart: Path) -> None:
    roles = {}
    for deployment in _deployments(chart, VALUE_SETS["split"]):
        parsed = cli._parser().parse_args(container(deployment)["args"])
        roles[deployment["metadata"]["name"]] = (not parsed.no_core, parsed.providers, not parsed.no_webhook)
    assert sorted(roles.values()) == [(False, "kaito", False), (False, "vllm", False), (True, "none", True)]
