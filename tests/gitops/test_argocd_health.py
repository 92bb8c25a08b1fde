"""The Argo CD health check (config/argocd/health.lua) gives the right verdict for each ModelDeployment.

The Lua runs in a Lua 5.1 runtime, the language level of the interpreter Argo CD embeds, with the
object as the global `obj` exactly as Argo CD passes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from lupa import lua51  # type: ignore[import-untyped]

from tests.gitops import bodies
from tests.support import REPO

HEALTH_LUA = REPO / "config/argocd/health.lua"
ARGOCD_CM = REPO / "config/argocd/argocd-cm.yaml"
CM_KEY = "resource.customizations.health.airunway.ai_ModelDeployment"
PAUSED = "airunway.ai/reconcile-paused"


def to_lua(runtime: Any, value: Any) -> Any:
    """A JSON-like Python value as Lua values: dicts become tables, lists 1-based sequences."""
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def health(body: dict[str, Any], script: str | None = None) -> tuple[str, str]:
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = to_lua(runtime, body)
    result = runtime.execute(script if script is not None else HEALTH_LUA.read_text())
    return str(result["status"]), str(result["message"])


def edited(make: Callable[[], dict[str, Any]], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(make())
    edit(body)
    return body


def pause(value: str) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        body["metadata"]["annotations"] = {PAUSED: value}

    return apply


def drop_message(body: dict[str, Any]) -> None:
    del body["status"]["message"]


def drop_status(body: dict[str, Any]) -> None:
    del body["status"]


def set_phase(phase: str | None) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        if phase is None:
            body["status"].pop("phase", None)
        else:
            body["status"]["phase"] = phase

    return apply


def ready_false(body: dict[str, Any]) -> None:
    for condition in body["status"]["conditions"]:
        if condition["type"] == "Ready":
            condition["status"] = "False"


def drop_ready(body: dict[str, Any]) -> None:
    body["status"]["conditions"] = [c for c in body["status"]["conditions"] if c["type"] != "Ready"]


def drop_observed_generation(body: dict[str, Any]) -> None:
    del body["status"]["observedGeneration"]


FORBIDDEN = 'deployments.apps "m" is forbidden'

CASES = [
    pytest.param(bodies.running(), "Healthy", "", id="running and ready is Healthy"),
    pytest.param(bodies.pending(), "Progressing", "", id="pending is Progressing"),
    pytest.param(bodies.deploying(), "Progressing", "waiting for pods", id="deploying is Progressing"),
    pytest.param(
        bodies.with_generation(bodies.running(), bodies.GENERATION + 1),
        "Progressing",
        "observe generation 4",
        id="running at a stale observedGeneration is Progressing",
    ),
    pytest.param(
        bodies.with_generation(bodies.failed(), bodies.GENERATION + 1),
        "Progressing",
        "observe generation 4",
        id="failed at a stale observedGeneration waits for the new spec",
    ),
    pytest.param(
        edited(bodies.running, drop_observed_generation),
        "Progressing",
        "observe generation",
        id="no observedGeneration is Progressing",
    ),
    pytest.param(edited(bodies.running, drop_status), "Progressing", "status", id="no status is Progressing"),
    pytest.param(edited(bodies.running, ready_false), "Progressing", "", id="running but Ready False"),
    pytest.param(edited(bodies.running, drop_ready), "Progressing", "", id="running without Ready"),
    pytest.param(bodies.failed(), "Degraded", FORBIDDEN, id="failed is Degraded with status.message"),
    pytest.param(
        edited(bodies.failed, drop_message),
        "Degraded",
        FORBIDDEN,
        id="failed without status.message takes the Ready message",
    ),
    pytest.param(edited(bodies.running, pause("true")), "Suspended", PAUSED, id="paused running"),
    pytest.param(edited(bodies.failed, pause("true")), "Suspended", PAUSED, id="paused failed"),
    pytest.param(edited(bodies.running, pause("false")), "Healthy", "", id="paused false is not a pause"),
    pytest.param(edited(bodies.running, set_phase("Terminating")), "Progressing", "", id="terminating"),
    pytest.param(edited(bodies.running, set_phase("Exploded")), "Progressing", "", id="unknown phase"),
    pytest.param(edited(bodies.pending, set_phase(None)), "Progressing", "", id="missing phase"),
]


@pytest.mark.parametrize(("body", "verdict", "message_part"), CASES)
def test_health_verdict(body: dict[str, Any], verdict: str, message_part: str) -> None:
    status, message = health(body)
    assert status == verdict
    assert message_part in message
    assert message


def test_bodies_come_from_the_status_code_paths() -> None:
    # Guards the table above: the verdict inputs are the operator's own status shapes.
    assert bodies.running()["status"]["phase"] == "Running"
    assert bodies.failed()["status"]["phase"] == "Failed"
    assert bodies.deploying()["status"]["phase"] == "Deploying"


def test_configmap_snippet_carries_the_same_lua() -> None:
    data = yaml.safe_load(ARGOCD_CM.read_text())
    assert data["kind"] == "ConfigMap"
    assert data["metadata"]["name"] == "argocd-cm"
    snippet = data["data"][CM_KEY]
    assert snippet == HEALTH_LUA.read_text()
    assert health(bodies.running(), snippet)[0] == "Healthy"
