"""A validating admission webhook served from the test process that, while switched on, rejects
every write of one user to the objects the operator maintains (a stand-in for any admission or
quota policy that refuses the operator for a while)."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import tls
from airunway_operator.api import constants

NAME = "faults-deny-operator-writes"
PATH = "/deny"


class DenyingWebhook:
    """HTTPS server on 127.0.0.1; denies requests of `username` while `denying` is set."""

    def __init__(self, directory: Path, username: str) -> None:
        self.username = username
        self.denying = threading.Event()
        self.denials: list[str] = []
        self._lock = threading.Lock()
        self._files = tls.self_signed(["127.0.0.1"], directory)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._files.certfile, self._files.keyfile)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="deny-webhook", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def review(self, request: dict[str, Any]) -> dict[str, Any]:
        deny = self.denying.is_set() and (request.get("userInfo") or {}).get("username") == self.username
        response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": not deny}
        if deny:
            resource = (request.get("resource") or {}).get("resource", "?")
            sub = request.get("subResource")
            with self._lock:
                self.denials.append(f"{resource}{'/' + sub if sub else ''} {request.get('name', '')}")
            response["status"] = {"code": 403, "message": "writes of the operator are refused for a while"}
        return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                review = json.loads(self.rfile.read(length) or b"{}")
                payload = json.dumps(webhook.review(review.get("request") or {})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def configuration(self, namespace: str) -> dict[str, Any]:
        """The registration: writes to Deployments, Services and ModelDeployments (status included)
        of `namespace` go through this server."""

        def rule(group: str, version: str, resources: list[str]) -> dict[str, Any]:
            return {
                "apiGroups": [group],
                "apiVersions": [version],
                "operations": ["CREATE", "UPDATE"],
                "resources": resources,
                "scope": "Namespaced",
            }

        ca = base64.b64encode(self._files.cafile.read_bytes()).decode()
        return {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": NAME},
            "webhooks": [
                {
                    "name": "deny.faults.airunway.ai",
                    "admissionReviewVersions": ["v1"],
                    "clientConfig": {"url": f"https://127.0.0.1:{self.port}{PATH}", "caBundle": ca},
                    "rules": [
                        rule("apps", "v1", ["deployments"]),
                        rule("", "v1", ["services"]),
                        rule(
                            constants.GROUP,
                            constants.VERSION,
                            [constants.MODELDEPLOYMENT_PLURAL, f"{constants.MODELDEPLOYMENT_PLURAL}/status"],
                        ),
                    ],
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                    "failurePolicy": "Fail",
                    "sideEffects": "None",
                    "timeoutSeconds": 5,
                }
            ],
        }

    def register(self, api_client: client.ApiClient, namespace: str) -> None:
        client.AdmissionregistrationV1Api(api_client).create_validating_webhook_configuration(
            self.configuration(namespace)
        )

    @staticmethod
    def deregister(api_client: client.ApiClient) -> None:
        try:
            client.AdmissionregistrationV1Api(api_client).delete_validating_webhook_configuration(NAME)
        except ApiException as err:
            if err.status != 404:
                raise
