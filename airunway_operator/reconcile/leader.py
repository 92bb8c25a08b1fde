"""Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics.

Every replica runs an elector; one holds the Lease and renews it every `retry_period`. The others
try every `retry_period` too and take the Lease once it is free (no holder) or expired (renewTime +
leaseDurationSeconds in the past). Writes carry the resourceVersion that was read, so of two
replicas racing for the Lease exactly one wins (the other gets 409). A leader that cannot renew for
`renew_deadline` seconds, or that finds another holder, has lost: `on_lost` runs once and the
elector stops. On a clean stop the leader releases the Lease (no holder, duration 1 s) so a
successor need not wait for it to expire.

`decide` is the pure decision; `LeaderElector` does the I/O through `kube.client.call`.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import logging
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator import logs
from airunway_operator.kube import leases
from airunway_operator.kube.client import call

_log = logging.getLogger("airunway.leader")

LEASE_DURATION: Final = 15.0
RENEW_DEADLINE: Final = 10.0
RETRY_PERIOD: Final = 2.0
#: Every Lease request gets at most this long, so one hung request cannot outlast the deadline.
REQUEST_TIMEOUT: Final = (2.0, 4.0)


class Action(enum.Enum):
    ACQUIRE = "acquire"
    RENEW = "renew"
    WAIT = "wait"


@dataclass(frozen=True)
class Record:
    """The fields of a Lease's spec that the election reads."""

    holder: str
    renew_time: datetime.datetime | None
    duration_seconds: float
    acquire_time: datetime.datetime | None
    transitions: int

    @classmethod
    def of(cls, spec: Mapping[str, Any] | None) -> Record:
        spec = spec or {}
        return cls(
            holder=spec.get("holderIdentity") or "",
            renew_time=_parse_time(spec.get("renewTime")),
            duration_seconds=float(spec.get("leaseDurationSeconds") or 0),
            acquire_time=_parse_time(spec.get("acquireTime")),
            transitions=int(spec.get("leaseTransitions") or 0),
        )

    def expired(self, now: datetime.datetime) -> bool:
        if self.renew_time is None:
            return True
        return self.renew_time + datetime.timedelta(seconds=self.duration_seconds) < now


def _parse_time(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = datetime.datetime.fromisoformat(value)
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def decide(record: Record, identity: str, now: datetime.datetime) -> Action:
    """What `identity` does with a Lease holding `record` at `now`."""
    if record.holder == identity:
        return Action.RENEW
    if not record.holder or record.expired(now):
        return Action.ACQUIRE
    return Action.WAIT


def lost(last_renewed: float, now: float, renew_deadline: float = RENEW_DEADLINE) -> bool:
    """A leader whose last successful renewal (monotonic seconds) is older than the deadline has lost."""
    return now - last_renewed > renew_deadline


def next_spec(
    record: Record, identity: str, now: datetime.datetime, duration: float = LEASE_DURATION
) -> dict[str, Any]:
    """The spec written to acquire or renew: acquireTime and transitions change only on a new holder."""
    changed = record.holder != identity
    acquired = now if changed or record.acquire_time is None else record.acquire_time
    return {
        "holderIdentity": identity,
        "leaseDurationSeconds": int(duration),
        "acquireTime": leases.micro_time(acquired),
        "renewTime": leases.micro_time(now),
        "leaseTransitions": record.transitions + (1 if changed and record.holder else 0),
    }


def released_spec(record: Record, now: datetime.datetime) -> dict[str, Any]:
    """What a leader writes on a clean stop, so the next replica acquires at once (as client-go)."""
    return {
        "holderIdentity": "",
        "leaseDurationSeconds": 1,
        "acquireTime": leases.micro_time(now),
        "renewTime": leases.micro_time(now),
        "leaseTransitions": record.transitions,
    }


def new_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class LeaderElector:
    """Acquires, renews and releases one Lease; `elected` is set while this replica leads."""

    def __init__(
        self,
        api_client: client.ApiClient,
        namespace: str,
        name: str,
        on_lost: Callable[[], None],
        *,
        identity: str | None = None,
        lease_duration: float = LEASE_DURATION,
        renew_deadline: float = RENEW_DEADLINE,
        retry_period: float = RETRY_PERIOD,
    ) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.name = name
        self.identity = identity or new_identity()
        self.elected = asyncio.Event()
        self._on_lost = on_lost
        self._duration = lease_duration
        self._deadline = renew_deadline
        self._retry = retry_period
        self._task: asyncio.Task[None] | None = None
        self._taken = False

    @property
    def leading(self) -> bool:
        return self.elected.is_set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="leader-election")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def release(self) -> None:
        """Give the Lease up if this replica still holds it (a clean stop)."""
        if not self.leading:
            return
        self.elected.clear()
        body = await call(leases.read, self.api_client, self.namespace, self.name, timeout=(2.0, 2.0))
        if body is None:
            return
        record = Record.of(body.get("spec"))
        if record.holder != self.identity:
            return
        await call(
            leases.replace,
            self.api_client,
            self.namespace,
            self.name,
            body["metadata"]["resourceVersion"],
            released_spec(record, _now()),
            timeout=(2.0, 2.0),
        )

    # ---------------------------------------------------------------- the loop

    async def _run(self) -> None:
        where = f"{self.namespace}/{self.name}"
        _log.info(f"Waiting to acquire leader lease {where} as {self.identity}")
        while True:
            started = time.monotonic()
            if await self._try():
                break
            await asyncio.sleep(self._jittered())
        # Renewals count from when the request started: the Lease says renewTime = about then.
        last_renewed = started
        self.elected.set()
        _log.info(f"Acquired leader lease {where} as {self.identity}")
        while True:
            await asyncio.sleep(self._retry)
            started = time.monotonic()
            remaining = self._deadline - (started - last_renewed)
            out_of_time = remaining <= 0
            try:
                # A hung request must not carry the leader past its deadline (client-go's RenewDeadline).
                renewed = remaining > 0 and await asyncio.wait_for(self._try(), remaining)
            except TimeoutError:
                renewed, out_of_time = False, True
            if renewed:
                last_renewed = started
            elif self._taken or out_of_time or lost(last_renewed, time.monotonic(), self._deadline):
                self.elected.clear()
                why = "another replica holds it" if self._taken else f"not renewed for {self._deadline:g}s"
                _log.error(f"Lost leader lease {where} ({why}); stopping so that no two replicas reconcile")
                self._on_lost()
                return

    def _jittered(self) -> float:
        return self._retry * (1 + random.random() * 0.2)

    async def _try(self) -> bool:
        """One attempt to acquire or renew; False when another replica holds the Lease or on error."""
        self._taken = False
        try:
            return await self._try_once()
        except ApiException as err:
            if err.status != 409:
                _log.warning(f"Leader lease {self.namespace}/{self.name}: {logs.describe(err)}")
            return False
        except Exception as err:  # any failure is a failed attempt, retried
            _log.warning(f"Leader lease {self.namespace}/{self.name}: {logs.describe(err)}")
            return False

    async def _try_once(self) -> bool:
        body = await call(leases.read, self.api_client, self.namespace, self.name, REQUEST_TIMEOUT)
        now = _now()
        if body is None:
            spec = next_spec(Record.of(None), self.identity, now, self._duration)
            await call(leases.create, self.api_client, self.namespace, self.name, spec, REQUEST_TIMEOUT)
            return True
        record = Record.of(body.get("spec"))
        if decide(record, self.identity, now) is Action.WAIT:
            self._taken = self.leading
            return False
        spec = next_spec(record, self.identity, now, self._duration)
        version = body["metadata"]["resourceVersion"]
        await call(leases.replace, self.api_client, self.namespace, self.name, version, spec, REQUEST_TIMEOUT)
        return True
