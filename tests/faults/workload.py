"""The workload the fault tests put under stress: Direct vLLM ModelDeployments, created in bursts
that survive an unavailable API server, and the checks that they converged cleanly."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from airunway_operator.api import constants
from providers.common import MANAGED_BY
from tests.support import MODEL_ID, vllm_md

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
FULL = os.environ.get("AIRUNWAY_FAULT_SCALE") == "full"
FIGURE = "FAULT-FIGURE:"
# A request to an API server whose etcd is frozen hangs; the client gives up and retries instead.
REQUEST_TIMEOUT = 10.0


def scale(ci: int) -> int:
    """Object count of one test: small in CI, 200 with AIRUNWAY_FAULT_SCALE=full."""
    return 200 if FULL else ci


def figure(test: str, what: str, seconds: float, count: int) -> None:
    """A convergence time, printed for collection with `pytest -s` (never asserted)."""
    print(f"{FIGURE} {test}: {what}: {seconds:.1f} s for {count} ModelDeployments", flush=True)


def md_body(name: str, provider: str = "vllm", model: str = MODEL_ID) -> dict[str, Any]:
    """One GPU, one replica: Direct vLLM runs it on a kwok GPU node."""
    return vllm_md(name, provider=provider, model=model)


def names(count: int, prefix: str = "m") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def create_until_done(custom: client.CustomObjectsApi, namespace: str, body: dict[str, Any]) -> None:
    """Create one ModelDeployment, retrying through API server outages; an earlier attempt that
    succeeded without an answer shows up as AlreadyExists."""
    while True:
        try:
            custom.create_namespaced_custom_object(
                G, V, namespace, MD, body, _request_timeout=REQUEST_TIMEOUT
            )
            return
        except ApiException as err:
            if err.status == 409:
                return
            if err.status is not None and err.status < 500 and err.status != 429:
                raise
        except (HTTPError, OSError):
            pass
        time.sleep(0.5)


@dataclass
class Burst:
    """Creates ModelDeployments one after another in a background thread, at `rate` per second."""

    api_client: client.ApiClient
    namespace: str
    names: list[str]
    rate: float = 10.0
    created: list[str] = field(default_factory=list)
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Burst:
        self._thread = threading.Thread(target=self._run, name="burst", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        custom = client.CustomObjectsApi(self.api_client)
        try:
            for name in self.names:
                create_until_done(custom, self.namespace, md_body(name))
                self.created.append(name)
                time.sleep(1 / self.rate)
        except BaseException as err:
            self.error = err

    def wait_created(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.created) < count and self.error is None:
            assert time.monotonic() < deadline, (
                f"only {len(self.created)} of {count} created in {timeout:.0f}s"
            )
            time.sleep(0.05)
        assert self.error is None, f"burst failed: {self.error!r}"

    def join(self, timeout: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"burst still creating after {timeout:.0f}s ({len(self.created)})"
        assert self.error is None, f"burst failed: {self.error!r}"


@dataclass(frozen=True)
class Snapshot:
    """ModelDeployments, Deployments and Services of one namespace, as listed once."""

    mds: list[dict[str, Any]]
    deployments: list[Any]
    services: list[Any]

    @staticmethod
    def take(api_client: client.ApiClient, namespace: str) -> Snapshot:
        custom, apps, core = (
            client.CustomObjectsApi(api_client),
            client.AppsV1Api(api_client),
            client.CoreV1Api(api_client),
        )
        kw: dict[str, Any] = {"_request_timeout": REQUEST_TIMEOUT}
        return Snapshot(
            custom.list_namespaced_custom_object(G, V, namespace, MD, **kw)["items"],
            apps.list_namespaced_deployment(namespace, **kw).items,
            core.list_namespaced_service(namespace, **kw).items,
        )

    def uids(self) -> dict[str, str]:
        return {m["metadata"]["name"]: m["metadata"]["uid"] for m in self.mds}

    def unconverged(self, expected: Iterable[str]) -> dict[str, str]:
        """Expected ModelDeployments not yet Running with an owned Deployment and Service, and why."""
        mds = {m["metadata"]["name"]: m for m in self.mds}
        deployments = {d.metadata.name: d for d in self.deployments}
        services = {s.metadata.name: s for s in self.services}
        missing: dict[str, str] = {}
        for name in expected:
            md = mds.get(name)
            if md is None:
                missing[name] = "no ModelDeployment"
                continue
            status = md.get("status") or {}
            uid = md["metadata"]["uid"]
            if status.get("phase") != "Running":
                reasons = [
                    f"{c['type']}={c['status']}/{c.get('reason')}" for c in status.get("conditions") or ()
                ]
                missing[name] = f"phase {status.get('phase')!r} {' '.join(reasons)}".strip()
            elif not _owned(deployments.get(name), uid):
                missing[name] = "no owned Deployment"
            elif not _owned(services.get(name), uid):
                missing[name] = "no owned Service"
        return missing

    def versions(self) -> dict[str, str]:
        """resourceVersion of every object, keyed by kind and name."""
        found = {f"md/{m['metadata']['name']}": m["metadata"]["resourceVersion"] for m in self.mds}
        found |= {f"deployment/{d.metadata.name}": d.metadata.resource_version for d in self.deployments}
        found |= {f"service/{s.metadata.name}": s.metadata.resource_version for s in self.services}
        return found

    def integrity_problems(self) -> list[str]:
        """Managed targets without a live owner, and ModelDeployments without exactly one of each."""
        uids = set(self.uids().values())
        problems: list[str] = []
        for kind, items in (("Deployment", self.deployments), ("Service", self.services)):
            per_owner: Counter[str] = Counter()
            for item in items:
                if (item.metadata.labels or {}).get(MANAGED_BY) != "airunway":
                    continue
                owners = [r.uid for r in item.metadata.owner_references or () if r.kind == "ModelDeployment"]
                live = [u for u in owners if u in uids]
                if not live:
                    problems.append(f"{kind} {item.metadata.name} has no live owner (owners {owners})")
                per_owner.update(live)
            for name, uid in self.uids().items():
                if per_owner[uid] != 1:
                    problems.append(f"ModelDeployment {name} owns {per_owner[uid]} {kind}s")
        return problems


def _owned(item: Any, uid: str) -> bool:
    return item is not None and any(r.uid == uid for r in item.metadata.owner_references or ())


def wait_converged(
    api_client: client.ApiClient, namespace: str, expected: list[str], timeout: float, what: str
) -> float:
    """Wait until every expected ModelDeployment converged; return the seconds it took."""
    start = time.monotonic()
    missing: dict[str, str] = {"-": "not listed yet"}
    while time.monotonic() - start < timeout:
        try:
            missing = Snapshot.take(api_client, namespace).unconverged(expected)
        except (ApiException, HTTPError, OSError) as err:
            missing = {"-": f"list failed: {err!r}"[:200]}
        if not missing:
            return time.monotonic() - start
        time.sleep(0.5)
    sample = "; ".join(f"{k}: {v}" for k, v in sorted(missing.items())[:5])
    raise AssertionError(
        f"{len(missing)} of {len(expected)} ModelDeployments not converged after {timeout:.0f}s "
        f"({what}); e.g. {sample}"
    )


def converge_timeout(count: int) -> float:
    """A generous deadline that grows with the object count on a 2-core machine."""
    return 240.0 + 3.0 * count
