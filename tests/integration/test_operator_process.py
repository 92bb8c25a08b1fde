"""`airunway-operator run` starts against the local plane, watches both kinds and stops on SIGTERM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator, healthy, without_kopf_watch_teardown
from tests.support import wait_for


@pytest.fixture
def operators() -> Iterator[list[Operator]]:
    started: list[Operator] = []
    yield started
    for op in started:
        op.kill()


def _md(name: str) -> dict[str, object]:
    return {
        "apiVersion": f"{constants.GROUP}/{constants.VERSION}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"}, "engine": {"type": "vllm"}},
    }


@pytest.mark.parametrize("scope", ["cluster-wide", "namespaced"])
def test_operator_starts_watches_both_kinds_and_stops_on_sigterm(
    cluster: Cluster, namespace: str, operators: list[Operator], tmp_path: Path, scope: str
) -> None:
    args = ("--namespace", namespace) if scope == "namespaced" else ()
    op = Operator(cluster.kubeconfig, tmp_path / "operator.log", *args)
    operators.append(op)
    op.wait_healthy()

    cluster.custom.create_namespaced_custom_object(
        constants.GROUP, constants.VERSION, namespace, constants.MODELDEPLOYMENT_PLURAL, _md("watched")
    )
    wait_for(
        lambda: "Observed ModelDeployment event" in op.output(), 30, "the operator to see the ModelDeployment"
    )
    assert "inferenceproviderconfigs" in op.output()

    assert op.stop() == 0, op.output()
    assert not healthy(op.health_port)
    assert "Traceback" not in without_kopf_watch_teardown(op.output()), op.output()
