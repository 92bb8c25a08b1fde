"""The chart's `gateway` values reach the operator's gateway settings; defaults add no variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airunway_operator.settings import Settings
from tests.deploy import tools
from tests.deploy.tools import container


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tools.chart_copy(tmp_path_factory.mktemp("chart"))


def _environment(deployment: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["value"] for v in container(deployment)["env"] if "value" in v}


def test_default_values_keep_the_operators_gateway_defaults(chart: Path) -> None:
    [deployment] = tools.find(tools.template(chart), "Deployment")
    assert not [name for name in _environment(deployment) if "GATEWAY" in name or "EPP" in name]


def test_gateway_values_become_settings(chart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = (
        "--set",
        "gateway.enabled=false",
        "--set",
        "gateway.name=inference",
        "--set",
        "gateway.namespace=infra",
        "--set",
        "gateway.eppImage=registry.example/epp:v9",
        "--set",
        "gateway.eppServicePort=9100",
        "--set",
        "gateway.patchAllowedRoutes=false",
    )
    [deployment] = tools.find(tools.template(chart, *args), "Deployment")
    for key, value in _environment(deployment).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert not settings.gateway_enabled
    assert (settings.gateway_name, settings.gateway_namespace) == ("inference", "infra")
    assert settings.epp_image == "registry.example/epp:v9"
    assert settings.epp_service_port == 9100
    assert not settings.patch_gateway_allowed_routes
