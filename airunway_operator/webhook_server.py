"""The admission webhook's own HTTPS server: one thread with its own event loop, off kopf's loop.

Why not kopf's WebhookServer: it runs aiohttp on the operator's event loop, behind kopf's generic
admission dispatch (resource lookup, memo, diff, handler lifecycle), so every review waited for
whatever the controllers were doing and paid for machinery a validating webhook does not use. Here
each AdmissionReview is parsed, routed by URL path and answered in one callback of a loop that does
nothing else; only a review that must read the API server (an InferenceProviderConfig missing from
the watch cache) becomes a task, and later requests of that connection wait for it (answers stay in
order). What stays as kopf did it:

* the request's `apiVersion`, `kind` and `uid` are echoed; `warnings` only when there are any;
  a denial carries `status.message` and `status.code`;
* a request whose operation the route does not review (e.g. DELETE) or that names a sub-resource
  is admitted unchecked; a body that is not JSON, not an AdmissionReview request, or lacks
  `userInfo` or both objects gets HTTP 400; only POST is served (405 otherwise).

Unlike kopf, a path no route serves answers 404 (kopf admitted it unchecked), and a review whose
resource is not the route's is refused with 400.

HTTP/1.1 with keep-alive; idle connections are closed after `IDLE_TIMEOUT` seconds, longer than the
API server's own 90 s idle timeout, so the client always closes first and never sends on a
connection the server is closing. Bodies need a Content-Length (the API server always sends one).

TLS: `reload()` loads a renewed certificate into the live context from the server's own thread:
the listener never closes, new handshakes use the new certificate at once and open connections
keep theirs. With `watch` set, the server re-reads those files every `file_check_interval` seconds
and reloads them when their content changed (a mounted Secret renewed by cert-manager).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from airunway_operator import logs
from airunway_operator.tls import ServingFiles

_log = logging.getLogger("airunway.webhook.server")

#: Seconds an idle keep-alive connection is kept open (the API server's client gives up after 90 s).
IDLE_TIMEOUT: Final = 120.0
#: Largest request accepted: an AdmissionReview holds the object twice (old and new), each at most
#: the API server's 3 MiB request limit.
MAX_BODY: Final = 8 * 1024 * 1024
MAX_HEADER: Final = 64 * 1024
HANDSHAKE_TIMEOUT: Final = 10.0
FILE_CHECK_SECONDS: Final = 60.0
#: How long a thread may hold the GIL while another waits for it (CPython's default is 5 ms). The
#: server thread needs the GIL a few times per request (wake-up, read, write); with the default a
#: busy operator loop delays each of them by up to 5 ms. Measured with the main thread spinning in
#: Python: answers p50 13 ms / p99 172 ms at 5 ms, p50 3.5 ms / p99 24 ms at 0.5 ms (2 loaded cores).
GIL_SWITCH_INTERVAL: Final = 0.0005


@dataclass(frozen=True)
class Answer:
    """A route's decision on one admission request."""

    allowed: bool
    warnings: tuple[str, ...] = ()
    message: str = ""
    code: int = 200


ALLOWED: Final = Answer(True)

Review = Callable[[Mapping[str, Any]], "Answer | Awaitable[Answer]"]
"""Decides one admission `request` payload (the AdmissionReview's `request` object): at once, or
as an awaitable when it must wait for I/O (run on the server's loop)."""


@dataclass(frozen=True)
class Route:
    """What one URL path reviews: a resource (group, version, plural) and the operations checked."""

    group: str
    version: str
    plural: str
    review: Review
    operations: frozenset[str] = field(default_factory=lambda: frozenset({"CREATE", "UPDATE"}))


class BadReviewError(ValueError):
    """The request is not an AdmissionReview this webhook can answer (HTTP 400)."""


def _reason(status: int) -> bytes:
    return {
        200: b"OK",
        400: b"Bad Request",
        404: b"Not Found",
        405: b"Method Not Allowed",
        411: b"Length Required",
        413: b"Payload Too Large",
        431: b"Request Header Fields Too Large",
        500: b"Internal Server Error",
    }.get(status, b"Error")


def http_response(status: int, body: bytes, *, close: bool = False, json_body: bool = True) -> bytes:
    content_type = b"application/json" if json_body else b"text/plain; charset=utf-8"
    head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
        status,
        _reason(status),
        content_type,
        len(body),
        b"Connection: close\r\n" if close else b"",
    )
    return head + body


def review_response(review: Mapping[str, Any], answer: Answer) -> bytes:
    """The AdmissionReview response body for `answer`, echoing the request's identity as kopf did."""
    request = review.get("request")
    uid = request.get("uid", "") if isinstance(request, Mapping) else ""
    response: dict[str, Any] = {"uid": uid, "allowed": answer.allowed}
    if answer.warnings:
        response["warnings"] = [str(warning) for warning in answer.warnings]
    if not answer.allowed:
        response["status"] = {"message": answer.message, "code": answer.code or 500}
    document = {
        "apiVersion": review.get("apiVersion", "admission.k8s.io/v1"),
        "kind": review.get("kind", "AdmissionReview"),
        "response": response,
    }
    return _dumps(document)


def _loads(body: bytes) -> Any:
    """orjson (a dependency already, for the watch streams) for speed; the standard library for what
    orjson refuses but JSON allows (integers beyond 64 bits), so answers never change."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _dumps(document: Any) -> bytes:
    try:
        return orjson.dumps(document)
    except TypeError:  # orjson.JSONEncodeError: e.g. an echoed uid that is an integer beyond 64 bits
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def admission_request(review: Any, route: Route) -> Mapping[str, Any] | None:
    """The request payload the route must review, or None when it is admitted unchecked.

    Raises BadReviewError for what kopf answered with HTTP 400 (and a resource not the route's)."""
    if not isinstance(review, Mapping) or not isinstance(review.get("request"), Mapping):
        raise BadReviewError("not an AdmissionReview request")
    request: Mapping[str, Any] = review["request"]
    if request.get("userInfo") is None:
        raise BadReviewError("User info is missing from the admission request.")
    if request.get("object") is None and request.get("oldObject") is None:
        raise BadReviewError("Either old or new object is missing from the admission request.")
    resource = request.get("resource")
    if not isinstance(resource, Mapping) or (
        resource.get("group"),
        resource.get("version"),
        resource.get("resource"),
    ) != (route.group, route.version, route.plural):
        raise BadReviewError(f"this webhook reviews {route.plural}.{route.group}/{route.version}")
    if request.get("operation") not in route.operations or request.get("subResource"):
        return None
    return request


class _Connection(asyncio.Protocol):
    """One client connection: parses HTTP/1.1 requests and writes the answers in order."""

    def __init__(self, server: AdmissionServer) -> None:
        self._server = server
        self._loop = server.loop
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._busy = False  # a review is being awaited; later requests wait in the buffer
        self._idle: asyncio.TimerHandle | None = None
        self._continued = False  # "100 Continue" was sent for the request in the buffer
        self._closing = False  # the last answer of this connection was written

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.connections.add(self)
        self._arm_idle_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        if self._idle is not None:
            self._idle.cancel()
        self._transport = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._process()

    def _arm_idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self._loop.call_later(self._server.idle_timeout, self.close)

    def _process(self) -> None:
        """Answer every complete request in the buffer, in order, until one must wait."""
        while self._transport is not None and not self._busy and not self._closing:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER:
                    self._fail(431, "request headers too large")
                return
            try:
                method, path, version, headers = _parse_head(bytes(self._buffer[:end]))
            except ValueError:
                self._fail(400, "malformed HTTP request")
                return
            if "transfer-encoding" in headers:
                self._fail(411, "a Content-Length is required")
                return
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                self._fail(400, "malformed Content-Length")
                return
            if length < 0 or length > MAX_BODY:
                self._fail(413, "request body too large")
                return
            total = end + 4 + length
            if len(self._buffer) < total:
                if headers.get("expect", "").lower() == "100-continue" and not self._continued:
                    self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self._continued = True
                return
            self._continued = False
            body = bytes(self._buffer[end + 4 : total])
            del self._buffer[:total]
            connection = headers.get("connection", "").lower()
            keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
            self._arm_idle_timer()
            self._handle(method, path, body, keep_alive)

    def _fail(self, status: int, text: str) -> None:
        self._reply(http_response(status, text.encode(), close=True, json_body=False), keep_alive=False)

    def _handle(self, method: str, path: str, body: bytes, keep_alive: bool) -> None:
        route = self._server.routes.get(path)
        if route is None:
            self._reply(http_response(404, b"no webhook at this path", json_body=False), keep_alive)
            return
        if method != "POST":
            self._reply(http_response(405, b"only POST is served", json_body=False), keep_alive)
            return
        try:
            review = _loads(body)
            request = admission_request(review, route)
        except (ValueError, RecursionError) as error:  # JSONDecodeError, BadReviewError, too deep
            self._reply(http_response(400, str(error).encode(), json_body=False), keep_alive)
            return
        if request is None:
            self._reply(http_response(200, review_response(review, ALLOWED)), keep_alive)
            return
        try:
            decided = route.review(request)
        except Exception as error:  # a bug must cost this answer, not the connection
            decided = _internal_error(error)
        if isinstance(decided, Answer):
            self._reply(http_response(200, review_response(review, decided)), keep_alive)
            return
        self._busy = True
        task = self._loop.create_task(_settle(decided))
        task.add_done_callback(lambda done: self._settled(review, done, keep_alive))

    def _settled(self, review: Mapping[str, Any], task: asyncio.Task[Answer], keep_alive: bool) -> None:
        self._busy = False
        answer = _internal_error(asyncio.CancelledError()) if task.cancelled() else task.result()
        self._reply(http_response(200, review_response(review, answer)), keep_alive)
        if self._buffer:
            self._process()

    def _reply(self, response: bytes, keep_alive: bool) -> None:
        if self._transport is None or self._closing:
            return
        self._transport.write(response)
        if not keep_alive:
            self._closing = True
            self._buffer.clear()
            self._transport.close()


async def _settle(pending: Awaitable[Answer]) -> Answer:
    try:
        return await pending
    except Exception as error:
        return _internal_error(error)


def _internal_error(error: BaseException) -> Answer:
    _log.error(f"Admission review failed: {logs.describe(error)}")
    return Answer(
        False, message=f"the webhook could not review the request ({type(error).__name__})", code=500
    )


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(version)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(line)
        headers[name.strip().lower()] = value.strip()
    return method, target.split("?", 1)[0], version, headers


def server_context(files: ServingFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(purpose=ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certfile, files.keyfile)
    return context


class AdmissionServer:
    """Serves `routes` (URL path → Route) over HTTPS on `host:port` from a thread of its own."""

    def __init__(
        self,
        host: str,
        port: int,
        files: ServingFiles,
        routes: Mapping[str, Route],
        *,
        watch: bool = False,
        file_check_interval: float = FILE_CHECK_SECONDS,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.files = files
        self.routes = dict(routes)
        self.idle_timeout = idle_timeout
        self.context = server_context(files)
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(_log_loop_error)
        self.connections: set[_Connection] = set()
        self._watch = watch
        self._file_check_interval = file_check_interval
        self._served = _read(files) if watch else b""
        self._thread = threading.Thread(target=self._run, name="admission-webhook", daemon=True)
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._server: asyncio.Server | None = None
        self._stop: asyncio.Event | None = None

    @property
    def port(self) -> int:
        """The port listened on (the requested one, or the one the system chose for port 0)."""
        assert self._port is not None, "not started"
        return self._port

    def start(self) -> None:
        """Listen now (OSError when the address is taken), then serve from the server's thread."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._port = int(sock.getsockname()[1])
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread.start()
        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._serve(ready)))
        ready.result(timeout=10)

    async def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        self._stop = asyncio.Event()
        assert self._sock is not None
        try:
            self._server = await self.loop.create_server(
                lambda: _Connection(self),
                sock=self._sock,
                ssl=self.context,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        except Exception as error:  # handed to start(), which raises it
            ready.set_exception(error)
            self.loop.stop()
            return
        ready.set_result(None)
        watcher = self.loop.create_task(self._watch_files()) if self._watch else None
        await self._stop.wait()
        if watcher is not None:
            watcher.cancel()
        self._server.close()
        for connection in list(self.connections):
            connection.close()
        for _ in range(3):  # the aborted transports close their sockets in the next iterations
            await asyncio.sleep(0)
        self.loop.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def reload(self, files: ServingFiles, timeout: float = 10.0) -> None:
        """Load renewed certificate files into the live TLS context (from the server's thread, so no
        handshake runs meanwhile); raises what loading raised. Callable from any other thread."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def load() -> None:
            try:
                self.context.load_cert_chain(files.certfile, files.keyfile)
            except BaseException as error:
                done.set_exception(error)
            else:
                done.set_result(None)

        self.loop.call_soon_threadsafe(load)
        done.result(timeout=timeout)

    async def _watch_files(self) -> None:
        while True:
            await asyncio.sleep(self._file_check_interval)
            try:
                current = _read(self.files)
                if current == self._served:
                    continue
                self.context.load_cert_chain(self.files.certfile, self.files.keyfile)
            except (OSError, ssl.SSLError) as error:
                _log.warning(f"Webhook certificate files not reloaded: {logs.describe(error)}")
                continue
            self._served = current
            _log.info(f"Serving the renewed certificate of {self.files.certfile}")

    def stop(self, timeout: float = 2.0) -> None:
        """Close the listener and every connection; wait at most `timeout` for the thread."""
        if not self._thread.is_alive():
            return

        def stop() -> None:
            if self._stop is not None:
                self._stop.set()
            else:  # never served (start failed): nothing to close
                self.loop.stop()

        self.loop.call_soon_threadsafe(stop)
        self._thread.join(timeout)


def _read(files: ServingFiles) -> bytes:
    return files.certfile.read_bytes() + b"\0" + files.keyfile.read_bytes()


def _log_loop_error(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """One line per failure of a client connection (a failed handshake, a reset); no traceback."""
    error = context.get("exception")
    detail = logs.describe(error) if isinstance(error, BaseException) else ""
    _log.debug(f"Webhook connection: {context.get('message', '')} {detail}".rstrip())
