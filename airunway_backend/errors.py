"""Kubernetes API errors as the backend's JSON answers: the API server's message kept verbatim."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

#: One warning of a `Warning` header (RFC 7234): code, agent, quoted text with escaped quotes.
_WARNING = re.compile(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"')


def admission_warnings(header_values: Iterable[str]) -> list[str]:
    """The texts of `Warning: 299 - "<text>"` header values (several may share one value)."""
    return [
        match.group(1).replace('\\"', '"').replace("\\\\", "\\")
        for value in header_values
        for match in _WARNING.finditer(value)
    ]


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
