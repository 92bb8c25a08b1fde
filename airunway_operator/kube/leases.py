"""Reads and writes of `coordination.k8s.io/v1` Leases, as plain dicts (the leader election's I/O).

Updates carry the resourceVersion that was read, so two replicas racing for one Lease cannot both
win: the API server answers the loser with 409 Conflict.
"""

from __future__ import annotations

import datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

Timeout = tuple[float, float] | None

#: Lease times are MicroTime: RFC 3339 with microseconds.
_MICRO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def micro_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime(_MICRO_TIME)


def read(
    api_client: client.ApiClient, namespace: str, name: str, timeout: Timeout = None
) -> dict[str, Any] | None:
    """The Lease as a dict, or None when it does not exist."""
    try:
        lease = client.CoordinationV1Api(api_client).read_namespaced_lease(
            name, namespace, _request_timeout=timeout
        )
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    body: dict[str, Any] = api_client.sanitize_for_serialization(lease)
    return body


def create(
    api_client: client.ApiClient, namespace: str, name: str, spec: dict[str, Any], timeout: Timeout = None
) -> None:
    body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name}, "spec": spec}
    client.CoordinationV1Api(api_client).create_namespaced_lease(namespace, body, _request_timeout=timeout)


def replace(
    api_client: client.ApiClient,
    namespace: str,
    name: str,
    resource_version: str,
    spec: dict[str, Any],
    timeout: Timeout = None,
) -> None:
    """Replace the Lease's spec if nobody wrote it since `resource_version` (else 409)."""
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "resourceVersion": resource_version},
        "spec": spec,
    }
    client.CoordinationV1Api(api_client).replace_namespaced_lease(
        name, namespace, body, _request_timeout=timeout
    )
