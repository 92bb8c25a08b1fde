"""Loopback stand-ins for the tests without a cluster: a hub that answers /api/models, a closed port."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

HUB_MODELS = [
    {
        "id": "Qwen/Qwen2.5-0.5B-Instruct",
        "pipeline_tag": "text-generation",
        "tags": ["safetensors"],
        "downloads": 100,
        "likes": 10,
        "gated": False,
        "safetensors": {"total": 494_032_768},
    },
    {
        "id": "someone/Qwen-Chat-14B-GGUF",
        "pipeline_tag": "text-generation",
        "tags": ["gguf"],
        "downloads": 50,
        "likes": 2,
        "gated": "manual",
    },
    {"id": "someone/qwen-embedder", "pipeline_tag": "feature-extraction", "downloads": 7, "likes": 0},
]


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def hub_server(
    status: int = 200, models: list[dict[str, Any]] | None = None
) -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A hub on 127.0.0.1 answering GET /api/models?search=...; yields its URL and the queries seen."""
    seen: list[dict[str, list[str]]] = []
    answer = HUB_MODELS if models is None else models

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            seen.append(query)
            if url.path != "/api/models":
                self.send_error(404)
                return
            words = (query.get("search") or [""])[0].lower()
            limit = int((query.get("limit") or ["20"])[0])
            body = json.dumps([m for m in answer if words in str(m["id"]).lower()][:limit]).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
