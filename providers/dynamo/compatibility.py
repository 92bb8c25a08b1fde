"""What Dynamo cannot serve (§3.2), its mocker and gateway modes (§3.4, §3.5), and what a Dynamo
deployment sets but Dynamo cannot use (admission warnings, decisions D3 and D7).

`check` returns upstream's exact message. The GPU check reads effective GPU counts (upstream's
admission default of one GPU applied virtually) and, unlike upstream, checks decode as well as
prefill in disaggregated mode, as admission does (D11). Pure.
"""

from __future__ import annotations

from typing import Final

from airunway_operator.sdk import EngineType, ModelDeployment, ServingMode, constants
from airunway_operator.sdk import effective as defaults
from providers import common

MOCKER_ANNOTATION: Final = (constants.ANNOTATION_DYNAMO_TEST_BACKEND, constants.DYNAMO_TEST_BACKEND_MOCKER)

LLAMACPP: Final = "Dynamo does not support llamacpp engine"
MOCKER_ENGINE: Final = "Dynamo mocker mode only supports the vllm engine"
MOCKER_DISAGGREGATED: Final = (
    "Dynamo mocker disaggregated mode requires spec.scaling.prefill and spec.scaling.decode"
)
NO_GPU: Final = "Dynamo requires GPU (set resources.gpu.count > 0)"


def is_mocker(md: ModelDeployment) -> bool:
    """The simulated backend: annotation `airunway.ai/dynamo-test-backend: mocker`."""
    key, value = MOCKER_ANNOTATION
    return (md.metadata.annotations or {}).get(key) == value


def is_disaggregated(md: ModelDeployment) -> bool:
    return defaults.serving_mode(md.spec) is ServingMode.DISAGGREGATED


def is_gateway_enabled(md: ModelDeployment) -> bool:
    """Gateway mode (Epp + frontend sidecars) unless `gateway.enabled` is false; never for the mocker."""
    gateway = md.spec.gateway
    enabled = gateway is None or gateway.enabled is None or gateway.enabled
    return enabled and not is_mocker(md)


def check(md: ModelDeployment, engine: EngineType) -> str | None:
    """None when Dynamo can serve `md` with the resolved `engine`, else upstream's message."""
    if engine is EngineType.LLAMACPP:
        return LLAMACPP
    if is_mocker(md):
        return _check_mocker(md, engine)
    if not _has_gpus(md):
        return NO_GPU
    return None


def _check_mocker(md: ModelDeployment, engine: EngineType) -> str | None:
    if engine is not EngineType.VLLM:
        return MOCKER_ENGINE
    scaling = md.spec.scaling
    if is_disaggregated(md) and (scaling is None or scaling.prefill is None or scaling.decode is None):
        return MOCKER_DISAGGREGATED
    return None


def _has_gpus(md: ModelDeployment) -> bool:
    if not is_disaggregated(md):
        return common.gpu_count(md) > 0
    scaling = md.spec.scaling
    if scaling is None:
        return False
    pools = (scaling.prefill, scaling.decode)
    return all(pool is not None and pool.gpu is not None and pool.gpu.count > 0 for pool in pools)
