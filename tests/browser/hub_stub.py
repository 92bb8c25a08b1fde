"""A stand-in for the Hugging Face hub's model search on a loopback port: answers /api/models with a
fixed list filtered by `search`, and records every query it was asked."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

MODELS: list[dict[str, Any]] = [
    {
        "id": "acme-labs/tiny-chat-1b",
        "pipeline_tag": "text-generation",
        "tags": ["transformers", "safetensors", "text-generation"],
        "downloads": 1234,
        "likes": 56,
        "gated": False,
        "safetensors": {"total": 1_100_000_000},
    },
    {
        "id": "acme-labs/huge-chat-400b",
        "pipeline_tag": "text-generation",
        "tags": ["transformers", "safetensors"],
        "downloads": 99,
        "likes": 1,
        "gated": "auto",
        "safetensors": {"total": 400_000_000_000},
    },
]


class HubStub:
    def __init__(self) -> None:
        self.queries: list[dict[str, list[str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/api/models":
                    self.send_error(404)
                    return
                query = parse_qs(url.query)
                stub.queries.append(query)
                term = (query.get("search") or [""])[0].lower()
                body = json.dumps([m for m in MODELS if term in m["id"].lower()]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
