"""Detection follows the CRDs: Established and serving our version counts, deletion does not."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.gateway import detection
from airunway_operator.gateway.detection import Detection


def crd(
    name: str, version: str = "v1", *, established: bool = True, deleting: bool = False
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "spec": {"versions": [{"name": version, "served": True}]},
        "status": {"conditions": [{"type": "Established", "status": "True" if established else "False"}]},
    }


@pytest.mark.parametrize(
    ("body", "served"),
    [
        pytest.param(crd(detection.INFERENCE_POOLS), True, id="an established v1 InferencePool CRD counts"),
        pytest.param(crd(detection.INFERENCE_POOLS, "v1alpha2"), False, id="only an older version does not"),
        pytest.param(crd(detection.HTTP_ROUTES, established=False), False, id="not yet established does not"),
        pytest.param(crd(detection.HTTP_ROUTES, deleting=True), False, id="a CRD being deleted does not"),
        pytest.param(crd("foos.example.com"), False, id="an unrelated CRD does not"),
        pytest.param(
            crd(detection.REFERENCE_GRANTS, "v1beta1"), True, id="ReferenceGrant is used at v1beta1"
        ),
    ],
)
def test_is_served(body: dict[str, Any], served: bool) -> None:
    assert detection.is_served(body) is served


def test_available_needs_both_inference_pools_and_http_routes() -> None:
    state = Detection()
    assert not state.known
    assert not state.available
    state = state.with_crd(detection.INFERENCE_POOLS, True)
    assert state.known
    assert not state.available
    state = state.with_crd(detection.HTTP_ROUTES, True)
    assert state.available
    assert not state.istio
    assert state.with_crd(detection.DESTINATION_RULES, True).istio
    assert not state.with_crd(detection.INFERENCE_POOLS, False).available
