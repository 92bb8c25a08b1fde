"""The webhook's own HTTPS server: kopf's answers, keep-alive, ordering, certificate reloads, stopping."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from airunway_operator import tls, webhook_server
from airunway_operator.webhook_server import AdmissionServer, Answer, Route

PATH = "/validate-things"


def review(operation: str = "CREATE", **request: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uid": "u-1",
        "resource": {"group": "g.io", "version": "v1", "resource": "things"},
        "operation": operation,
        "userInfo": {"username": "tests"},
        "object": {"metadata": {"name": "x"}, "spec": {}},
        **request,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": payload}


def decide(request: Mapping[str, Any]) -> Answer:
    name = request["object"]["metadata"]["name"]
    if name == "bad":
        return Answer(False, ("careful",), "Thing bad is invalid: spec.x: Required", 422)
    if name == "bug":
        raise KeyError("boom")
    return Answer(True, ("careful",) if name == "warn" else ())


async def slow(request: Mapping[str, Any]) -> Answer:
    await asyncio.sleep(float(request["object"]["spec"]["sleep"]))
    return Answer(True, (request["object"]["metadata"]["name"],))


def route(request: Mapping[str, Any]) -> Answer | Any:
    return slow(request) if "sleep" in request["object"]["spec"] else decide(request)


@pytest.fixture
def files(tmp_path: Path) -> tls.ServingFiles:
    return tls.self_signed(["127.0.0.1", "localhost"], tmp_path)


@pytest.fixture
def server(files: tls.ServingFiles) -> Iterator[AdmissionServer]:
    srv = AdmissionServer("127.0.0.1", 0, files, {PATH: Route("g.io", "v1", "things", route)})
    srv.start()
    yield srv
    srv.stop()


def connect(server: AdmissionServer, cafile: Path) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(cafile))
    return http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=5)


def post(
    conn: http.client.HTTPSConnection, body: Any, path: str = PATH, method: str = "POST"
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    try:
        return response.status, json.loads(payload)
    except ValueError:
        return response.status, payload.decode()


def named(name: str, **spec: Any) -> dict[str, Any]:
    return review(object={"metadata": {"name": name}, "spec": spec})


def test_an_admitted_review_echoes_the_request_and_has_no_status(server, files) -> None:
    status, answer = post(connect(server, files.cafile), named("ok"))
    assert status == 200
    assert answer == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "u-1", "allowed": True},
    }


def test_warnings_and_a_denial_come_back_as_kopf_sent_them(server, files) -> None:
    conn = connect(server, files.cafile)
    assert post(conn, named("warn"))[1]["response"] == {
        "uid": "u-1",
        "allowed": True,
        "warnings": ["careful"],
    }
    assert post(conn, named("bad"))[1]["response"] == {
        "uid": "u-1",
        "allowed": False,
        "warnings": ["careful"],
        "status": {"message": "Thing bad is invalid: spec.x: Required", "code": 422},
    }


def test_a_failing_review_is_an_internal_error_answer_not_a_dropped_connection(server, files, caplog) -> None:
    conn = connect(server, files.cafile)
    status, answer = post(conn, named("bug"))
    assert status == 200
    assert answer["response"]["allowed"] is False
    assert answer["response"]["status"] == {
        "message": "the webhook could not review the request (KeyError)",
        "code": 500,
    }
    assert "Admission review failed: KeyError" in caplog.text
    assert "Traceback" not in caplog.text
    assert post(conn, named("ok"))[1]["response"]["allowed"] is True  # the connection still serves


@pytest.mark.parametrize(
    ("request_fields", "operation"),
    [
        pytest.param({}, "DELETE", id="operation not reviewed"),
        pytest.param({"subResource": "status"}, "UPDATE", id="sub-resource"),
    ],
)
def test_requests_the_route_does_not_review_are_admitted_unchecked(
    server, files, request_fields, operation
) -> None:
    body = review(operation, object={"metadata": {"name": "bad"}, "spec": {}}, **request_fields)
    status, answer = post(connect(server, files.cafile), body)
    assert (status, answer["response"]) == (200, {"uid": "u-1", "allowed": True})


@pytest.mark.parametrize(
    ("body", "status", "path", "method"),
    [
        pytest.param(b"{not json", 400, PATH, "POST", id="not JSON"),
        pytest.param({"kind": "AdmissionReview"}, 400, PATH, "POST", id="no request"),
        pytest.param(review(userInfo=None), 400, PATH, "POST", id="no userInfo"),
        pytest.param(review(object=None), 400, PATH, "POST", id="no object"),
        pytest.param(
            review(resource={"group": "g.io", "version": "v1", "resource": "others"}),
            400,
            PATH,
            "POST",
            id="another resource",
        ),
        pytest.param(review(), 404, "/elsewhere", "POST", id="unknown path"),
        pytest.param(review(), 405, PATH, "PUT", id="not POST"),
    ],
)
def test_bad_requests_get_http_errors_and_the_connection_stays_usable(
    server, files, body, status, path, method
) -> None:
    conn = connect(server, files.cafile)
    assert post(conn, body, path, method)[0] == status
    assert post(conn, named("ok"))[0] == 200


def test_one_connection_serves_many_reviews_and_answers_in_order(server, files) -> None:
    context = ssl.create_default_context(cafile=str(files.cafile))
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        # Pipelined: a slow review (an API read) first, then two immediate ones, in one write.
        requests = b""
        for body in (named("first", sleep=0.2), named("second"), named("third", sleep=0.0)):
            data = json.dumps(body).encode()
            requests += b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (
                PATH.encode(),
                len(data),
                data,
            )
        sock.sendall(requests)
        received = b""
        while received.count(b"HTTP/1.1 200 OK") < 3 or not received.endswith(b"}}"):
            received += sock.recv(65536)
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in received.split(b"HTTP/1.1 ")[1:]]
    answers = [json.loads(body)["response"] for body in bodies]
    assert [a.get("warnings") for a in answers] == [["first"], None, ["third"]]


def test_expect_100_continue_is_answered(server, files) -> None:
    context = ssl.create_default_context(cafile=str(files.cafile))
    data = json.dumps(named("ok")).encode()
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(
            b"POST %s HTTP/1.1\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n"
            % (PATH.encode(), len(data))
        )
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(data)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")


def test_http_1_0_and_connection_close_are_closed_after_the_answer(server, files) -> None:
    context = ssl.create_default_context(cafile=str(files.cafile))
    data = json.dumps(named("ok")).encode()
    for head in (b"POST %s HTTP/1.0\r\n", b"POST %s HTTP/1.1\r\nConnection: close\r\n"):
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            sock.sendall(head % PATH.encode() + b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
            received = b""
            while chunk := sock.recv(65536):  # ends only because the server closes
                received += chunk
        assert received.startswith(b"HTTP/1.1 200 OK")


def test_an_idle_connection_is_closed_after_the_idle_timeout(files) -> None:
    srv = AdmissionServer(
        "127.0.0.1", 0, files, {PATH: Route("g.io", "v1", "things", route)}, idle_timeout=0.3
    )
    srv.start()
    try:
        context = ssl.create_default_context(cafile=str(files.cafile))
        with (
            socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            started = time.monotonic()
            assert sock.recv(1024) == b""
            assert 0.2 < time.monotonic() - started < 3
    finally:
        srv.stop()


def test_the_default_idle_timeout_outlasts_the_api_servers_own() -> None:
    assert webhook_server.IDLE_TIMEOUT > 90


def _served_certificate(port: int, cafile: Path) -> bytes:
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        served = sock.getpeercert(binary_form=True)
        assert served is not None
        return served


def _renew(files: tls.ServingFiles, directory: Path) -> tls.ServingFiles:
    """A new serving certificate from a new CA, written over `files`; returns the new CA's files."""
    directory.mkdir()
    renewed = tls.self_signed(["127.0.0.1"], directory)
    files.certfile.write_bytes(renewed.certfile.read_bytes())
    files.keyfile.write_bytes(renewed.keyfile.read_bytes())
    return renewed


def test_reload_serves_a_renewed_certificate_without_closing_listener_or_connections(
    server, files, tmp_path
) -> None:
    conn = connect(server, files.cafile)
    assert post(conn, named("ok"))[0] == 200
    before = _served_certificate(server.port, files.cafile)
    renewed = _renew(files, tmp_path / "renewed")
    server.reload(files)
    after = _served_certificate(server.port, renewed.cafile)
    assert after != before
    assert after == ssl.PEM_cert_to_DER_cert(renewed.certfile.read_text())
    assert post(conn, named("ok"))[0] == 200  # the open connection keeps its session


def test_reload_of_broken_files_raises_and_keeps_serving(server, files, tmp_path) -> None:
    broken = tls.ServingFiles(tmp_path / "none.crt", tmp_path / "none.key", tmp_path / "none.ca")
    with pytest.raises(FileNotFoundError):
        server.reload(broken)
    assert post(connect(server, files.cafile), named("ok"))[0] == 200


def test_watched_files_are_reloaded_when_they_change(files, tmp_path) -> None:
    srv = AdmissionServer(
        "127.0.0.1",
        0,
        files,
        {PATH: Route("g.io", "v1", "things", route)},
        watch=True,
        file_check_interval=0.1,
    )
    srv.start()
    try:
        renewed = _renew(files, tmp_path / "renewed")
        wanted = ssl.PEM_cert_to_DER_cert(renewed.certfile.read_text())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if _served_certificate(srv.port, renewed.cafile) == wanted:
                    break
            except ssl.SSLError:
                pass  # still the old certificate, which the new CA does not trust
            time.sleep(0.05)
        else:
            pytest.fail("the renewed certificate was not served")
    finally:
        srv.stop()


def test_a_taken_port_fails_start_with_an_os_error(server, files) -> None:
    other = AdmissionServer("127.0.0.1", server.port, files, {})
    with pytest.raises(OSError, match="in use"):
        other.start()


def test_stop_closes_listener_and_open_connections_at_once(files) -> None:
    srv = AdmissionServer("127.0.0.1", 0, files, {PATH: Route("g.io", "v1", "things", route)})
    srv.start()
    conn = connect(srv, files.cafile)
    assert post(conn, named("ok"))[0] == 200
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
    with pytest.raises((OSError, http.client.HTTPException)):
        post(conn, named("ok"))
    assert not any(t.name == "admission-webhook" and t.is_alive() for t in threading.enumerate())


def test_requests_pipelined_after_connection_close_are_not_answered(server, files) -> None:
    context = ssl.create_default_context(cafile=str(files.cafile))
    data = json.dumps(named("ok")).encode()
    one = b"POST %s HTTP/1.1\r\nContent-Length: %d\r\n" % (PATH.encode(), len(data))
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(one + b"Connection: close\r\n\r\n" + data + one + b"\r\n" + data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 1


def test_json_nested_too_deep_is_a_bad_request(server, files) -> None:
    conn = connect(server, files.cafile)
    assert post(conn, b"[" * 100_000 + b"]" * 100_000)[0] == 400
    assert post(conn, named("ok"))[0] == 200


def test_json_orjson_refuses_is_still_read_and_echoed(server, files) -> None:
    # orjson stops at 64-bit integers; JSON (and the standard library) does not.
    huge = 2**70
    body = named("ok", replicas=huge)
    body["request"]["uid"] = huge
    status, answer = post(connect(server, files.cafile), body)
    assert (status, answer["response"]) == (200, {"uid": huge, "allowed": True})
