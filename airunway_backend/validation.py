"""Request bodies checked before anything reaches the API server (a 422 names the bad field)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

#: RFC 1123 label: what Kubernetes accepts as a namespace or a ModelDeployment name.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DnsLabel = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]


class ModelRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class DeploymentSpecIn(BaseModel):
    """The ModelDeployment spec as the CRD defines it; only what must hold before sending is checked
    here, the CRD schema and the admission webhook judge the rest."""

    model_config = ConfigDict(extra="allow")

    model: ModelRef


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DnsLabel
    namespace: DnsLabel
    spec: DeploymentSpecIn

    def manifest(self, api_version: str, kind: str) -> dict[str, Any]:
        return {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": self.spec.model_dump(mode="json", exclude_unset=True),
        }
