"""llm-d status: the shared Deployment translator (SPEC-providers §5.6). Pure; never raises.

Aggregated: exactly upstream, the primary Deployment `<md>` → phase, message, replicas and the
endpoint `<md>:8000`.

Disaggregated, deliberately beyond upstream: upstream reads only the decode Deployment, so a
deployment whose prefill pool never starts reports Running. Here both pools count:

* Running only when both `<md>-decode` and `<md>-prefill` are Running (Available);
* Failed when either failed; the decode message as upstream writes it, a prefill message prefixed
  with the prefill Deployment's name;
* Deploying when either is rolling out or ready while the other is not yet; Pending otherwise;
* replicas (desired, ready, available) are the sums over both pools;
* the endpoint stays the decode Deployment `<md>-decode:8000`, the pool that serves requests.

No decode Deployment yet is Pending with nothing else, as for every provider.
"""

from __future__ import annotations

from collections.abc import Mapping

from airunway_operator.sdk import ModelDeployment, Phase, ServingMode
from airunway_operator.sdk import effective as defaults
from providers import workloads
from providers.base import Observed, ProviderStatus
from providers.llmd import render


def map_status(md: ModelDeployment, observed: Observed) -> ProviderStatus:
    name = md.metadata.name or ""
    if defaults.serving_mode(md.spec) is not ServingMode.DISAGGREGATED:
        return workloads.map_deployment_status(observed.get(workloads.DEPLOYMENT.kind, name))
    decode_name = name + render.DECODE_SUFFIX
    prefill_name = name + render.PREFILL_SUFFIX
    decode = observed.get(workloads.DEPLOYMENT.kind, decode_name)
    if not isinstance(decode, Mapping):
        return ProviderStatus(phase=Phase.PENDING)
    prefill = observed.get(workloads.DEPLOYMENT.kind, prefill_name)
    return combine(
        workloads.map_deployment_status(decode), workloads.map_deployment_status(prefill), prefill_name
    )


def combine(decode: ProviderStatus, prefill: ProviderStatus, prefill_name: str) -> ProviderStatus:
    """One status for both pools: the decode endpoint, summed replicas, the weaker phase."""
    phase, message = _phase(decode, prefill, prefill_name)
    return ProviderStatus(
        phase=phase,
        message=message,
        desired=(decode.desired or 0) + (prefill.desired or 0),
        ready=(decode.ready or 0) + (prefill.ready or 0),
        available=(decode.available or 0) + (prefill.available or 0),
        endpoint_service=decode.endpoint_service,
        endpoint_port=decode.endpoint_port,
    )


def _phase(decode: ProviderStatus, prefill: ProviderStatus, prefill_name: str) -> tuple[Phase, str]:
    if decode.phase is Phase.FAILED:
        return Phase.FAILED, decode.message
    if prefill.phase is Phase.FAILED:
        return Phase.FAILED, f"prefill Deployment {prefill_name}: {prefill.message}"
    phases = {decode.phase, prefill.phase}
    if phases == {Phase.RUNNING}:
        return Phase.RUNNING, ""
    if phases & {Phase.RUNNING, Phase.DEPLOYING}:
        return Phase.DEPLOYING, ""
    return Phase.PENDING, ""
