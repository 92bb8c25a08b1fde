"""Construct the Kubernetes API client: in-cluster service account first, else the kubeconfig.

The client is synchronous; async callers go through `call()`, which runs it on a pool of daemon
threads so the event loop (watches, the admission webhook) never blocks on the network, and a
request hanging on a dead API server can never hold the process at exit. Every request carries a
timeout (`REQUEST_TIMEOUT` unless the caller passes its own): without one, urllib3 waits forever.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, Final, TypeVar

from kubernetes import client, config

from airunway_operator import version

T = TypeVar("T")

#: (connect, read) seconds for every request that does not name its own timeout.
REQUEST_TIMEOUT: Final = (5.0, 30.0)
#: Worker threads for API calls; the connection pool holds as many connections, so none is
#: discarded and reopened under load.
WORKERS: Final = 32
#: Threads of the aside lane (`call_aside`): requests the API server may hold for long (a
#: Service's ClusterIP allocation is serialised there) run on their own threads, so a burst of
#: them never queues ahead of the other writes.
ASIDE_WORKERS: Final = 8


def new_api_client() -> client.ApiClient:
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except config.ConfigException:
        config.load_kube_config(client_configuration=configuration)
    configuration.connection_pool_maxsize = WORKERS + ASIDE_WORKERS
    api_client = client.ApiClient(configuration)
    api_client.user_agent = f"airunway-operator/{version.VERSION}"
    with_default_timeout(api_client)
    return api_client


def separate_client(api_client: client.ApiClient) -> client.ApiClient:
    """A client with the same cluster, credentials and user agent but a connection pool of its
    own: for long-held requests (watches) that must not take the pool's connections."""
    separate = client.ApiClient(api_client.configuration)
    separate.user_agent = api_client.user_agent
    with_default_timeout(separate)
    return separate


def with_default_timeout(
    api_client: client.ApiClient, timeout: tuple[float, float] = REQUEST_TIMEOUT
) -> None:
    """Give every request of `api_client` a timeout unless the call sets `_request_timeout`."""
    rest = api_client.rest_client
    original = rest.request

    @functools.wraps(original)
    def request(*args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
        return original(*args, _request_timeout=_request_timeout or timeout, **kwargs)

    rest.request = request


class DaemonExecutor(Executor):
    """A fixed pool of daemon threads. Unlike ThreadPoolExecutor, whose threads the interpreter
    joins at exit, a thread blocked on the network here never delays the process's exit."""

    def __init__(self, workers: int, name: str) -> None:
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        self._work.put((future, functools.partial(fn, *args, **kwargs)))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for _ in self._threads:
            self._work.put(None)

    def _serve(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, work = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as err:  # delivered to the awaiting coroutine
                future.set_exception(err)


_EXECUTORS: dict[str, Executor] = {}


def _executor(lane: str = "kube-api", workers: int = WORKERS) -> Executor:
    executor = _EXECUTORS.get(lane)
    if executor is None:
        executor = _EXECUTORS[lane] = DaemonExecutor(workers, lane)
    return executor


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one blocking client call in a worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(fn, *args, **kwargs))


async def call_aside(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`call` on the aside lane's threads (see ASIDE_WORKERS)."""
    loop = asyncio.get_running_loop()
    executor = _executor("kube-api-aside", ASIDE_WORKERS)
    return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))
