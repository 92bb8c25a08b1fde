"""Expected transient errors are logged as one line, not as a traceback.

While the API server restarts, kopf's watchers and our handlers all fail with connection errors
and 5xx responses that fix themselves; their tracebacks say nothing new and bury what matters.
`is_transient` tells such errors apart (also for retry decisions); the filter that
`install_transient_error_filter` attaches replaces their traceback with a one-line summary.
Every other error keeps its traceback.
"""

from __future__ import annotations

import errno
import http.client
import logging
import socket
import ssl
from typing import Final

import aiohttp
from kubernetes.client.rest import ApiException
from urllib3 import exceptions as urllib3_errors

#: HTTP statuses that mean "try again": throttled, or the API server (or a proxy) is unwell.
TRANSIENT_STATUSES: Final = frozenset({429, 500, 502, 503, 504})

#: OSError numbers of a network that is down or a peer that went away (not files or permissions).
_NETWORK_ERRNOS: Final = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
    }
)

_TRANSIENT_TYPES: Final = (
    ConnectionError,
    TimeoutError,  # also asyncio.TimeoutError
    socket.gaierror,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    http.client.IncompleteRead,
    aiohttp.ClientConnectionError,  # ServerDisconnectedError, ClientConnectorError, ...
    aiohttp.ClientPayloadError,  # a watch stream cut off mid-response
    urllib3_errors.ProtocolError,
    urllib3_errors.TimeoutError,  # NewConnectionError, ConnectTimeoutError, ReadTimeoutError
)

#: Errors that look like connection failures but are configuration problems a retry cannot fix.
_NEVER_TRANSIENT: Final = (ssl.SSLCertVerificationError, aiohttp.ClientConnectorCertificateError)

#: Where kopf defines its API errors (APIError with .status; APIServerError, APITooManyRequestsError, ...).
#: Matched by name so this module does not import kopf.
_KOPF_ERRORS_MODULE: Final = "kopf._cogs.clients.errors"

#: Loggers whose records carry the tracebacks seen during an API outage.
LOGGERS: Final = ("kopf", "kopf.objects", "kopf.activities", "airunway", "aiohttp", "asyncio")

_MAX_SUMMARY: Final = 300


def _status(exc: BaseException) -> int | None:
    """The HTTP status of an API error raised by the Kubernetes client, kopf or aiohttp."""
    if isinstance(exc, ApiException | aiohttp.ClientResponseError):
        return int(exc.status) if exc.status is not None else None
    is_kopf_api_error = any(
        cls.__module__ == _KOPF_ERRORS_MODULE and cls.__name__ == "APIError" for cls in type(exc).__mro__
    )
    status = getattr(exc, "status", None)
    return status if is_kopf_api_error and isinstance(status, int) else None


def _is_transient_itself(exc: BaseException) -> bool:
    if isinstance(exc, _NEVER_TRANSIENT):
        return False
    if isinstance(exc, urllib3_errors.MaxRetryError):
        return (
            exc.reason is None
            or isinstance(exc.reason, urllib3_errors.ResponseError)
            or is_transient(exc.reason)
        )
    if isinstance(exc, _TRANSIENT_TYPES):
        return True
    if type(exc) is OSError:
        return exc.errno in _NETWORK_ERRNOS
    return _status(exc) in TRANSIENT_STATUSES


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc`, then its causes and contexts (the ones a traceback would show), each once."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is seen for seen in chain):
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return chain


def transient_cause(exc: BaseException) -> BaseException | None:
    """The first expected transient error in the chain of `exc`, or None."""
    return next((e for e in _chain(exc) if _is_transient_itself(e)), None)


def is_transient(exc: BaseException) -> bool:
    """True for errors that are expected to go away on their own: a lost connection, a timeout,
    HTTP 429 or 5xx from the API server; also for any error caused by one of them."""
    return transient_cause(exc) is not None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def describe(exc: BaseException) -> str:
    """`Type: first line of the message`; for API errors `Type: (status) reason`."""
    status = _status(exc)
    if status is None:
        text = _first_line(str(exc))
    else:
        # ApiException has .reason, aiohttp and kopf errors .message (kopf's may be None).
        detail = getattr(exc, "reason", None) or getattr(exc, "message", None) or ""
        text = f"({status}) {_first_line(str(detail))}".strip()
    described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return described[:_MAX_SUMMARY]


def summary(exc: BaseException) -> str:
    """One line naming the error and, when it differs, the transient error that caused it."""
    cause = transient_cause(exc)
    if cause is None or cause is exc:
        return describe(exc)
    return f"{describe(exc)}; caused by {describe(cause)}"


class TransientErrorFilter(logging.Filter):
    """Replaces the traceback of an expected transient error by a summary appended to the message.

    The record is changed in place, so every handler after this one sees the short form too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_transient(exc):
            record.msg = f"{record.getMessage()} ({summary(exc)})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def install_transient_error_filter() -> None:
    """Attach the filter to the root logger's handlers and to the loggers that report outages.

    Call it after kopf.configure(), which replaces the root logger's handler. Idempotent.
    """
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in LOGGERS)]
    for target in [*loggers, *(h for lg in loggers for h in lg.handlers)]:
        if not any(isinstance(f, TransientErrorFilter) for f in target.filters):
            target.addFilter(TransientErrorFilter())
