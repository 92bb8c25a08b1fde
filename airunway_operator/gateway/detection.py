"""Which gateway-related CustomResourceDefinitions are served, judged from the CRD objects.

The integration is available when InferencePool (`inference.networking.k8s.io/v1`) and HTTPRoute
(`gateway.networking.k8s.io/v1`) are served (SPEC-core §6.1). A CRD counts once it is Established
and serves the version we write; a CRD being deleted no longer counts. Istio's DestinationRule is
tracked the same way (§6.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

INFERENCE_POOLS: Final = "inferencepools.inference.networking.k8s.io"
HTTP_ROUTES: Final = "httproutes.gateway.networking.k8s.io"
GATEWAYS: Final = "gateways.gateway.networking.k8s.io"
REFERENCE_GRANTS: Final = "referencegrants.gateway.networking.k8s.io"
DESTINATION_RULES: Final = "destinationrules.networking.istio.io"

#: CRD name → the version the integration reads or writes.
VERSIONS: Final[Mapping[str, str]] = {
    INFERENCE_POOLS: "v1",
    HTTP_ROUTES: "v1",
    GATEWAYS: "v1",
    REFERENCE_GRANTS: "v1beta1",
    DESTINATION_RULES: "v1beta1",
}
WATCHED: Final = frozenset(VERSIONS)
REQUIRED: Final = frozenset({INFERENCE_POOLS, HTTP_ROUTES})


def is_served(crd: Mapping[str, Any]) -> bool:
    """True when `crd` is Established, not being deleted and serves the version we use."""
    meta = crd.get("metadata") or {}
    name = meta.get("name") or ""
    if meta.get("deletionTimestamp") or name not in VERSIONS:
        return False
    status = crd.get("status") or {}
    established = any(
        c.get("type") == "Established" and c.get("status") == "True" for c in status.get("conditions") or ()
    )
    versions = (crd.get("spec") or {}).get("versions") or ()
    serves = any(v.get("name") == VERSIONS[name] and v.get("served") for v in versions)
    return established and serves


@dataclass(frozen=True)
class Detection:
    """The served subset of WATCHED, or None while nothing has been learned yet."""

    served: frozenset[str] | None = None

    @property
    def known(self) -> bool:
        return self.served is not None

    @property
    def available(self) -> bool:
        return self.served is not None and self.served >= REQUIRED

    @property
    def istio(self) -> bool:
        return self.served is not None and DESTINATION_RULES in self.served

    @property
    def reference_grants(self) -> bool:
        return self.served is not None and REFERENCE_GRANTS in self.served

    def with_crd(self, name: str, served: bool) -> Detection:
        current = self.served or frozenset()
        return replace(self, served=current | {name} if served else current - {name})
