"""Model name priority, ports, and the provider's gateway capabilities and pool location."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.gateway import capabilities, modelname
from tests.unit.gateway.builders import MODEL, ipc, md


@pytest.mark.parametrize(
    ("spec", "caps", "discovered", "expected"),
    [
        pytest.param(
            {"gateway": {"modelName": "gw"}, "model": {"id": MODEL, "servedName": "s"}},
            {},
            "d",
            "gw",
            id="spec.gateway.modelName wins",
        ),
        pytest.param({"model": {"id": MODEL, "servedName": "s"}}, {}, "d", "s", id="then the served name"),
        pytest.param(
            {"model": {"id": MODEL, "servedName": "s"}},
            {"ignoresServedName": True},
            "d",
            "d",
            id="unless the provider ignores served names: the discovered name",
        ),
        pytest.param({}, {}, None, MODEL, id="finally the model id"),
    ],
)
def test_model_name(
    spec: dict[str, Any], caps: dict[str, Any], discovered: str | None, expected: str
) -> None:
    deployment = md(**spec)
    gateway = capabilities.resolve(deployment, [ipc(**caps)] if caps else [ipc()])
    assert modelname.resolve(deployment, gateway, discovered) == expected


def service(*ports: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"ports": list(ports)}}


@pytest.mark.parametrize(
    ("svc", "status_port", "target", "client"),
    [
        pytest.param(
            service({"name": "metrics", "port": 9090}, {"name": "http", "port": 80, "targetPort": 8000}),
            None,
            8000,
            80,
            id="the port named http, its numeric target",
        ),
        pytest.param(
            service({"port": 8080, "targetPort": "web"}),
            None,
            8080,
            8080,
            id="a named target port falls back to the port number",
        ),
        pytest.param(
            service({"name": "a", "port": 7000, "targetPort": 7001}),
            None,
            7001,
            7000,
            id="else the first port",
        ),
        pytest.param(None, 8123, 8123, 8123, id="without a Service the status port"),
        pytest.param(None, None, 8000, 8000, id="else 8000"),
    ],
)
def test_ports(svc: dict[str, Any] | None, status_port: int | None, target: int, client: int) -> None:
    assert modelname.target_port(svc, status_port) == target
    assert modelname.service_port(svc, status_port) == client


def test_models_answer_parsing() -> None:
    assert modelname.parse_models(b'{"data": [{"id": "served"}, {"id": "other"}]}') == "served"
    assert modelname.parse_models(b'{"data": []}') is None
    assert modelname.parse_models(b"not json") is None


def test_capabilities_come_from_the_providers_engine_entry() -> None:
    configs = [ipc("p", managesInferencePool=True), ipc("q", ignoresServedName=True)]
    caps = capabilities.resolve(md(), configs)
    assert caps is not None
    assert caps.manages_inference_pool
    assert capabilities.resolve(md(engine={"type": "sglang"}), configs) is None
    assert capabilities.resolve(md(provider={"name": "absent"}), configs) is None


def test_pool_location_follows_the_providers_patterns() -> None:
    caps = capabilities.resolve(
        md(),
        [
            ipc(
                managesInferencePool=True,
                inferencePoolNamePattern="{name}-pool",
                inferencePoolNamespace="{namespace}-gw",
            )
        ],
    )
    assert capabilities.pool_location(md(), caps) == capabilities.PoolLocation("m-pool", "ns-gw")
    assert capabilities.pool_location(md(), None) == capabilities.PoolLocation("m", "ns")
    plain = capabilities.resolve(md(), [ipc(managesInferencePool=True)])
    assert capabilities.pool_location(md(), plain) == capabilities.PoolLocation("m", "ns")
