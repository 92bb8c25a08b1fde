"""The built single-page UI: files from the static directory, index.html for every other path."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

NOT_BUILT = """<!doctype html>
<html><head><meta charset="utf-8"><title>AI Runway</title></head>
<body><h1>AI Runway</h1>
<p>The web UI is not built. Run <code>make ui</code>, then restart <code>airunway-backend</code>.</p>
<p>The API is up: see <a href="/api/docs">/api/docs</a>.</p></body></html>
"""


def static_file(root: Path, path: str) -> Path | None:
    """The file under `root` that `path` names, never one outside it."""
    if not path:
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def router(root: Path) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/{path:path}")
    async def spa(path: str, request: Request) -> Response:
        if path == "api" or path.startswith("api/"):
            raise HTTPException(404, "Not Found")
        found = static_file(root, path)
        if found is not None:
            return FileResponse(found)
        index = root / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(NOT_BUILT)

    return routes
