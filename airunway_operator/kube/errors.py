"""Classify Kubernetes API errors by HTTP status and Status details, never by message text."""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client.rest import ApiException


def _status(err: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(err.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def is_not_found(err: ApiException) -> bool:
    return bool(err.status == 404)


def is_object_missing(err: ApiException) -> bool:
    """404 for a named object of a served kind (the Status names the object)."""
    details = _status(err).get("details") or {}
    return is_not_found(err) and bool(details.get("name"))


def is_kind_missing(err: ApiException) -> bool:
    """404 because the resource type itself is not served (CRD not installed)."""
    return is_not_found(err) and not is_object_missing(err)


def is_forbidden(err: ApiException) -> bool:
    return bool(err.status in (401, 403))


def is_conflict(err: ApiException) -> bool:
    return bool(err.status == 409)


def is_already_exists(err: ApiException) -> bool:
    """409 from a create: an object of that name exists (a write conflict says "Conflict")."""
    return is_conflict(err) and _status(err).get("reason") == "AlreadyExists"


def is_namespace_terminating(err: ApiException) -> bool:
    """403 from a create in a namespace being deleted (its objects, ours included, go with it)."""
    causes = (_status(err).get("details") or {}).get("causes") or ()
    return is_forbidden(err) and any(c.get("reason") == "NamespaceTerminating" for c in causes)


def message(err: ApiException) -> str:
    """The API server's own message (an admission denial says why), else status and reason."""
    text = _status(err).get("message")
    return str(text or f"{err.status} {err.reason}")[:500]
