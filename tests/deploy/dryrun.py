"""Server-side dry runs of rendered manifests: the API server validates and admits, nothing is stored."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError

FIELD_MANAGER = "airunway-deploy-test"


def create_all(api_client: client.ApiClient, objects: list[dict[str, Any]]) -> list[str]:
    """Create every object with dryRun=All and return "Kind/name" of each accepted one.

    An object that already exists (a CRD installed by the fixtures, the test's own namespace) is
    server-side applied with dryRun=All instead, which runs the same validation and admission.
    Anything the API server refuses raises.
    """
    dynamic = DynamicClient(api_client)
    accepted = []
    for body in objects:
        resource = dynamic.resources.get(api_version=body["apiVersion"], kind=body["kind"])
        namespace = body["metadata"].get("namespace") if resource.namespaced else None
        try:
            resource.create(body=body, namespace=namespace, dry_run="All", field_manager=FIELD_MANAGER)
        except ConflictError:
            resource.server_side_apply(
                body=body,
                name=body["metadata"]["name"],
                namespace=namespace,
                dry_run="All",
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
            )
        accepted.append(f"{body['kind']}/{body['metadata']['name']}")
    return accepted
