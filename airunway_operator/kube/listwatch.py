"""A lean list-then-watch of one built-in kind, filtered by the API server, on a daemon thread.

kopf watches every object of a kind and runs its per-event machinery (causes, kwargs, filters)
before a handler sees it; for the kinds that carry most events (Pods, Deployments, Services, Jobs)
that machinery was the operator's largest CPU cost. Here a thread lists once, then streams watch
events, decodes each with orjson and hands `(type, body)` to a callback on the event loop. The
label selector runs in the API server, so a cluster's other pods never reach the process.

The stream resumes from the last resourceVersion (bookmarks keep it fresh); 410 Gone relists, and
objects the relist no longer returns are delivered as DELETED, so nothing stays in a cache after a
gap. Errors back off (0.5 s doubling to 10 s, reset once a list succeeds) and never end the thread.
Only for kinds that are always served: CRD kinds stay with kopf, which waits for their CRDs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlencode

import orjson
from kubernetes import client
from urllib3.exceptions import HTTPError

from airunway_operator.kube import objects

logger = logging.getLogger("airunway.watch")

#: Server-side end of each watch request (as kopf's watches here); the stream then resumes from the
#: last version. Bookmarks and events keep the connection busy meanwhile.
WATCH_SECONDS: Final = 1800
#: (connect, read): a read longer than the watch's own end plus slack means a dead connection.
WATCH_TIMEOUT: Final = (5.0, WATCH_SECONDS + 30.0)
LIST_PAGE: Final = 500
BACKOFF_MAX: Final = 10.0

Deliver = Callable[[str, dict[str, Any]], None]


class ResourceVersionGoneError(Exception):
    """The watch's resourceVersion is too old (410): list again."""


class ListWatch:
    def __init__(
        self,
        api_client: client.ApiClient,
        api_version: str,
        kind: str,
        plural: str,
        deliver: Deliver,
        *,
        label_selector: str = "",
        namespace: str | None = None,
    ) -> None:
        self.api_client, self.api_version, self.kind, self.plural = api_client, api_version, kind, plural
        self.deliver, self.label_selector, self.namespace = deliver, label_selector, namespace
        #: Set once the first list has been delivered (or given up on: see `wait_listed`).
        self.listed = threading.Event()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listed_on_loop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        #: name key -> the last delivered body's identity, to report objects a relist misses.
        self._known: dict[tuple[str, str], dict[str, Any]] = {}
        self._response: Any = None

    @property
    def name(self) -> str:
        where = self.namespace or "all namespaces"
        return f"{self.plural} ({self.label_selector or 'all'}, {where})"

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the thread; call on `loop`'s thread."""
        self._loop = loop
        self._listed_on_loop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{self.plural}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; a stream it is blocked on is shut down so the read returns."""
        self._stop.set()
        response = self._response
        if response is not None:
            shutdown = getattr(response, "shutdown", None)  # urllib3 >= 2.3
            try:
                if shutdown is not None:
                    shutdown()
            except Exception:  # another thread is reading it: best effort
                logger.debug(f"Shutting down the watch of {self.name} failed", exc_info=True)

    async def wait_listed(self, seconds: float) -> bool:
        """Wait until the first list was delivered; False after `seconds`. No thread waits for it,
        so a stop cancels it at once."""
        if self._listed_on_loop is None:
            return self.listed.is_set()
        try:
            await asyncio.wait_for(self._listed_on_loop.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # ---------------------------------------------------------------- the thread

    def _run(self) -> None:
        backoff = 0.5
        version: str | None = None
        while not self._stop.is_set():
            try:
                if version is None:
                    version = self._list()
                    backoff = 0.5
                version = self._watch(version)
            except ResourceVersionGoneError:
                version = None
            except Exception as err:
                if self._stop.is_set():
                    return  # the stream was shut down under the read
                if isinstance(err, (client.ApiException, HTTPError, OSError, ValueError)):
                    logger.info(
                        f"Watch of {self.name} interrupted ({_describe(err)}); again in {backoff:.1f} s"
                    )
                else:
                    logger.exception(f"Watch of {self.name} failed; again in {backoff:.1f} s")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def _path(self, **query: str) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        where = f"/namespaces/{self.namespace}" if self.namespace else ""
        params = {"labelSelector": self.label_selector} if self.label_selector else {}
        params.update(query)
        return f"{base}{where}/{self.plural}" + (f"?{urlencode(params)}" if params else "")

    def _list(self) -> str:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {"limit": str(LIST_PAGE)}
            if token:
                query["continue"] = token
            page = objects.get_path(self.api_client, self._path(**query))
            items += page.get("items") or ()
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                break
        version = str((page.get("metadata") or {}).get("resourceVersion") or "")
        seen = {_name_key(item) for item in items}
        gone = [body for key, body in self._known.items() if key not in seen]
        events = [("DELETED", body) for body in gone] + [("ADDED", self._typed(item)) for item in items]
        self._hand_over(events)
        if not self.listed.is_set():
            self.listed.set()
            self._on_loop(self._mark_listed)
        return version

    def _mark_listed(self) -> None:
        if self._listed_on_loop is not None:
            self._listed_on_loop.set()

    def _watch(self, version: str) -> str:
        path = self._path(
            watch="1",
            resourceVersion=version,
            allowWatchBookmarks="true",
            timeoutSeconds=str(WATCH_SECONDS),
        )
        response = objects.open_stream(self.api_client, path, WATCH_TIMEOUT)
        self._response = response
        try:
            for line in response:
                if self._stop.is_set():
                    break
                if not line.strip():
                    continue
                event = orjson.loads(line)
                kind, body = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if body.get("code") == 410:
                        raise ResourceVersionGoneError
                    raise ValueError(f"watch error: {body.get('message')}")
                version = str((body.get("metadata") or {}).get("resourceVersion") or version)
                if kind == "BOOKMARK":
                    continue
                self._hand_over([(str(kind), self._typed(body))])
        finally:
            self._response = None
            response.release_conn()
        return version

    def _typed(self, body: dict[str, Any]) -> dict[str, Any]:
        # List items carry no apiVersion/kind; events do. Callers key on both.
        body["apiVersion"], body["kind"] = self.api_version, self.kind
        return body

    def _hand_over(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, body in events:
            key = _name_key(body)
            if kind == "DELETED":
                self._known.pop(key, None)
            else:
                meta = body.get("metadata") or {}
                self._known[key] = {
                    "apiVersion": body["apiVersion"],
                    "kind": body["kind"],
                    "metadata": {
                        "name": meta.get("name"),
                        "namespace": meta.get("namespace"),
                        "resourceVersion": meta.get("resourceVersion"),
                        "labels": meta.get("labels") or {},
                    },
                }
        if events:
            self._on_loop(self._deliver_all, events)

    def _on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed meanwhile: the process is stopping
            self._stop.set()

    def _deliver_all(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, body in events:
            try:
                self.deliver(kind, body)
            except Exception:
                logger.exception(f"Handling a {kind} event of {self.name} failed")


def _name_key(body: Mapping[str, Any]) -> tuple[str, str]:
    meta = body.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _describe(err: BaseException) -> str:
    if isinstance(err, client.ApiException):
        return f"{err.status} {err.reason}"
    return type(err).__name__
