"""Kubernetes API errors as the backend's JSON answers: the API server's message kept verbatim."""

from __future__ import annotations

import json
from typing import Any


def status_detail(code: int, body: str | bytes | None, fallback: str) -> dict[str, Any]:
    """The `detail` of an error answer from an API server Status body (or `fallback` when the body
    is not a Status, e.g. a proxy's plain text)."""
    status: Any = None
    if body:
        try:
            status = json.loads(body)
        except ValueError:
            status = None
    if not isinstance(status, dict):
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        return {"message": (text or fallback).strip(), "reason": None, "code": code, "causes": []}
    details = status.get("details")
    if not isinstance(details, dict):
        details = {}
    return {
        "message": status.get("message") or fallback,
        "reason": status.get("reason"),
        "code": status.get("code") or code,
        "causes": list(details.get("causes") or []),
    }
