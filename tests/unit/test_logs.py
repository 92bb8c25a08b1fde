"""Expected transient errors are logged as one line; every other error keeps its traceback."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import ssl
from collections.abc import Callable, Iterator

import aiohttp
import kopf
import pytest
import urllib3
from kopf._cogs.clients import errors as kopf_errors
from kubernetes.client.rest import ApiException
from urllib3 import exceptions as urllib3_errors

from airunway_operator import logs

FORMAT = "%(levelname)s %(name)s %(message)s"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aiohttp_refused() -> BaseException:
    """What kopf's watchers raise while the API server is down."""

    async def get() -> None:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{closed_port()}/api"):
            pass

    try:
        asyncio.run(get())
    except aiohttp.ClientConnectorError as err:
        return err
    raise AssertionError("the connection was not refused")


def urllib3_refused() -> BaseException:
    """What the Kubernetes client raises while the API server is down."""
    try:
        urllib3.PoolManager().request("GET", f"http://127.0.0.1:{closed_port()}/api", retries=0)
    except urllib3_errors.MaxRetryError as err:
        return err
    raise AssertionError("the connection was not refused")


def asyncio_timeout() -> BaseException:
    try:
        asyncio.run(asyncio.wait_for(asyncio.sleep(10), timeout=0.001))
    except TimeoutError as err:
        return err
    raise AssertionError("the wait did not time out")


def wrapped(outer: BaseException, cause: BaseException) -> BaseException:
    try:
        raise outer from cause
    except BaseException as err:
        return err


def raised_while_handling(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException:
            raise outer  # noqa: B904
    except BaseException as err:
        return err


def suppressed_context() -> BaseException:
    try:
        try:
            raise ConnectionResetError(104, "reset")
        except ConnectionResetError:
            raise ValueError("bad") from None
    except ValueError as err:
        return err


def kopf_error(cls: type[kopf_errors.APIError], status: int) -> BaseException:
    payload = {"message": "the server is currently unable to handle the request", "code": status}
    return cls(payload, status=status, headers={})  # type: ignore[arg-type]


TRANSIENT = [
    pytest.param(lambda: ConnectionRefusedError(111, "Connect call failed"), id="connection refused"),
    pytest.param(lambda: ConnectionResetError(104, "Connection reset by peer"), id="connection reset"),
    pytest.param(lambda: OSError(113, "No route to host"), id="host unreachable"),
    pytest.param(aiohttp_refused, id="aiohttp cannot connect"),
    pytest.param(lambda: aiohttp.ServerDisconnectedError(), id="aiohttp server disconnected"),
    pytest.param(lambda: aiohttp.ClientPayloadError("Response payload is not completed"), id="watch cut off"),
    pytest.param(asyncio_timeout, id="asyncio timeout"),
    pytest.param(urllib3_refused, id="urllib3 max retries after a refused connection"),
    pytest.param(
        lambda: urllib3_errors.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")),
        id="urllib3 connection aborted",
    ),
    pytest.param(lambda: ApiException(status=503, reason="Service Unavailable"), id="HTTP 503"),
    pytest.param(lambda: ApiException(status=429, reason="Too Many Requests"), id="HTTP 429"),
    pytest.param(lambda: kopf_error(kopf_errors.APIServerError, 500), id="kopf API server error 500"),
    pytest.param(lambda: kopf_error(kopf_errors.APITooManyRequestsError, 429), id="kopf API throttled 429"),
    pytest.param(
        lambda: wrapped(RuntimeError("reconcile failed"), ConnectionResetError(104, "reset")),
        id="an error raised from a transient one",
    ),
    pytest.param(
        lambda: raised_while_handling(KeyError("x"), ApiException(status=504, reason="Gateway Timeout")),
        id="an error raised while handling a transient one",
    ),
]

NOT_TRANSIENT = [
    pytest.param(lambda: ValueError("bad value"), id="programming error"),
    pytest.param(lambda: ApiException(status=422, reason="Unprocessable Entity"), id="HTTP 422"),
    pytest.param(lambda: ApiException(status=404, reason="Not Found"), id="HTTP 404"),
    pytest.param(lambda: kopf_error(kopf_errors.APINotFoundError, 404), id="kopf API not found 404"),
    pytest.param(lambda: FileNotFoundError(2, "No such file", "/certs/tls.crt"), id="missing file"),
    pytest.param(lambda: PermissionError(13, "Permission denied"), id="permission denied"),
    pytest.param(lambda: ssl.SSLCertVerificationError(1, "certificate verify failed"), id="bad certificate"),
    pytest.param(suppressed_context, id="a transient context hidden with 'from None'"),
]


@pytest.mark.parametrize("make", TRANSIENT)
def test_expected_outage_errors_are_transient(make: Callable[[], BaseException]) -> None:
    assert logs.is_transient(make())


@pytest.mark.parametrize("make", NOT_TRANSIENT)
def test_other_errors_are_not_transient(make: Callable[[], BaseException]) -> None:
    assert not logs.is_transient(make())


def remove_filters() -> None:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logs.LOGGERS)]
    for target in [*loggers, *(h for lg in loggers for h in lg.handlers)]:
        for found in [f for f in target.filters if isinstance(f, logs.TransientErrorFilter)]:
            target.removeFilter(found)


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What a plain text handler on the root logger writes, with the filter installed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    logs.install_transient_error_filter()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        remove_filters()


def log_failure(logger: str, error: BaseException) -> None:
    try:
        raise error
    except BaseException:
        logging.getLogger(logger).exception("Watcher for %s failed", "modeldeployments")


@pytest.mark.parametrize("make", TRANSIENT)
def test_transient_error_is_logged_as_one_line(
    output: io.StringIO, make: Callable[[], BaseException]
) -> None:
    error = make()
    log_failure("kopf._cogs.clients.watching", error)
    assert "Traceback" not in output.getvalue()
    (line,) = output.getvalue().splitlines()
    assert line.startswith("ERROR kopf._cogs.clients.watching Watcher for modeldeployments failed (")
    assert type(error).__name__ in line


def test_summary_names_the_error_and_its_transient_cause(output: io.StringIO) -> None:
    log_failure(
        "airunway.reconcile", wrapped(RuntimeError("reconcile failed\nsecond line"), urllib3_refused())
    )
    (line,) = output.getvalue().splitlines()
    assert line.startswith(
        "ERROR airunway.reconcile Watcher for modeldeployments failed (RuntimeError: reconcile failed; "
    )
    assert "caused by MaxRetryError: " in line
    assert "second line" not in line


def test_api_error_summary_shows_the_status(output: io.StringIO) -> None:
    log_failure("airunway.reconcile", ApiException(status=503, reason="Service Unavailable"))
    assert output.getvalue() == (
        "ERROR airunway.reconcile Watcher for modeldeployments failed"
        " (ApiException: (503) Service Unavailable)\n"
    )


@pytest.mark.parametrize("make", NOT_TRANSIENT)
def test_other_errors_keep_their_traceback(output: io.StringIO, make: Callable[[], BaseException]) -> None:
    error = make()
    log_failure("airunway.reconcile", error)
    text = output.getvalue()
    assert text.startswith("ERROR airunway.reconcile Watcher for modeldeployments failed\nTraceback")
    assert f"{type(error).__name__}: " in text


def test_installing_twice_filters_once() -> None:
    handler = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(handler)
    try:
        logs.install_transient_error_filter()
        logs.install_transient_error_filter()
        assert len(handler.filters) == 1
    finally:
        logging.getLogger().removeHandler(handler)
        remove_filters()


@pytest.fixture
def kopf_logging() -> Iterator[None]:
    """Let kopf.configure() replace the logging set-up for one test, then put everything back."""
    root, aio = logging.getLogger(), logging.getLogger("asyncio")
    saved = (root.handlers[:], root.level, aio.handlers[:], aio.propagate)
    try:
        yield
    finally:
        remove_filters()
        root.handlers[:], aio.handlers[:] = saved[0], saved[2]
        root.setLevel(saved[1])
        aio.propagate = saved[3]


@pytest.mark.usefixtures("kopf_logging")
def test_filter_works_with_the_handler_kopf_configures(capsys: pytest.CaptureFixture[str]) -> None:
    kopf.configure(log_format=kopf.LogFormat.PLAIN)
    logs.install_transient_error_filter()
    log_failure("kopf._core.reactor.queueing", aiohttp.ServerDisconnectedError())
    log_failure("airunway.reconcile", ValueError("bad value"))
    errors = capsys.readouterr().err
    assert "Watcher for modeldeployments failed (ServerDisconnectedError: Server disconnected)" in errors
    assert errors.count("Traceback") == 1
    assert errors.rstrip().endswith("ValueError: bad value")
