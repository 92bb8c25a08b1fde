"""Count API requests per client from the local plane's audit log (metadata level, JSON lines).

The plane's API server logs every request (policy: `Metadata` for everything, stage
`RequestReceived` omitted). A short request appears once, at `ResponseComplete`. A watch appears
twice: `ResponseStarted` when it is established and `ResponseComplete` when it ends; it is counted
once, when it starts (a watch refused before it started has only a failed `ResponseComplete`,
which is counted instead). `requests_since` therefore counts the requests *made* in a window.

Classes of requests (`kind_of`): `read` (get, list), `watch`, `write` (create, update, patch,
delete, deletecollection) and `event` (any write to `events`, core or `events.k8s.io`): Events are
writes, but reported on their own so their share stays visible.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
READ_VERBS = frozenset({"get", "list"})
WATCH_VERB = "watch"
OPERATOR_AGENTS = ("airunway-operator/", "kopf/")
EVENT_RESOURCE = "events"


@dataclass(frozen=True)
class Request:
    verb: str
    resource: str
    """`<resource>` or `<resource>/<subresource>` (the request URI for non-resource requests)."""
    user_agent: str
    namespace: str
    group: str = ""
    """API group of the resource; empty for the core group."""
    code: int = 0
    """HTTP status of the answer (0 when the log has none)."""
    name: str = ""

    @property
    def base_resource(self) -> str:
        return self.resource.partition("/")[0]

    @property
    def subresource(self) -> str:
        return self.resource.partition("/")[2]

    @property
    def failed(self) -> bool:
        return self.code >= 400


@dataclass(frozen=True)
class Mark:
    """A position in the audit log that survives the log's rotation (inode + byte offset)."""

    inode: int
    offset: int


def offset(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def mark(log: Path) -> Mark:
    """The current end of the log; `requests_since(log, mark)` reads on from here."""
    try:
        stat = log.stat()
    except FileNotFoundError:
        return Mark(0, 0)
    return Mark(stat.st_ino, stat.st_size)


def _segments(log: Path, start: int | Mark) -> list[tuple[Path, int]]:
    """The files (and offsets in them) holding everything logged after `start`."""
    if not log.exists():
        return []
    if isinstance(start, int):
        # A plain offset: a log now shorter than it was rotated, so read the new one whole.
        return [(log, start if log.stat().st_size >= start else 0)]
    if start.inode in (0, log.stat().st_ino):
        return [(log, start.offset)]
    # Rotated since the mark (kube-apiserver renames it to audit-<time>.log): the rest of the old
    # file, found by its inode, then the new one from its beginning.
    rotated = [
        p
        for p in log.parent.glob(f"{log.stem}-*{log.suffix}")
        if p.exists() and p.stat().st_ino == start.inode
    ]
    return [*((p, start.offset) for p in rotated), (log, 0)]


def _lines(log: Path, start: int | Mark) -> Iterator[bytes]:
    for path, begin in _segments(log, start):
        with path.open("rb") as handle:
            handle.seek(begin)
            yield from handle


def parse(lines: Iterable[bytes | str], agents: tuple[str, ...] = ()) -> list[Request]:
    """Requests of the audit events in `lines` (JSON lines), each counted once (see module doc).

    `agents`: keep only requests whose user agent starts with one of these (a fast pre-filter on
    the raw line; empty keeps all)."""
    needles = tuple(f'"userAgent":"{a}'.encode() for a in agents)
    found: list[Request] = []
    started_watches: set[str] = set()
    for raw in lines:
        line = raw.encode() if isinstance(raw, str) else raw
        if needles and not any(n in line for n in needles):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a partly written last line
        stage, verb = event.get("stage"), event.get("verb", "?")
        if verb == WATCH_VERB:
            if stage == "ResponseStarted":
                started_watches.add(event.get("auditID", ""))
            elif stage != "ResponseComplete" or event.get("auditID", "") in started_watches:
                continue
            elif (event.get("responseStatus") or {}).get("code", 200) < 400:
                continue  # a watch that ran and ended; it was counted when it started (maybe earlier)
        elif stage != "ResponseComplete":
            continue
        ref = event.get("objectRef") or {}
        resource = ref.get("resource", event.get("requestURI", "?"))
        if ref.get("subresource"):
            resource += "/" + ref["subresource"]
        found.append(
            Request(
                verb,
                resource,
                event.get("userAgent", ""),
                ref.get("namespace", ""),
                group=ref.get("apiGroup", ""),
                code=int((event.get("responseStatus") or {}).get("code", 0)),
                name=ref.get("name", ""),
            )
        )
    return found


def requests_since(log: Path, start: int | Mark, agents: tuple[str, ...] = ()) -> list[Request]:
    """Requests logged after `start` (an `offset()` or a rotation-proof `mark()`)."""
    return parse(_lines(log, start), agents)


def by_operator(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.user_agent.startswith(OPERATOR_AGENTS)]


def summary(requests: list[Request]) -> Counter[str]:
    return Counter(f"{r.verb} {r.resource}" for r in requests)


def kind_of(request: Request) -> str:
    """`read`, `watch`, `write`, `event` or `other` (see the module doc)."""
    if request.verb == WATCH_VERB:
        return "watch"
    if request.verb in READ_VERBS:
        return "read"
    if request.verb in WRITE_VERBS:
        return "event" if request.base_resource == EVENT_RESOURCE else "write"
    return "other"


def totals(requests: list[Request]) -> Counter[str]:
    """Requests per class (`kind_of`)."""
    return Counter(kind_of(r) for r in requests)


def scope_of(request: Request, namespace: str) -> str:
    """Where the request went: the benchmark's `namespace`, `cluster`-scoped, or `other` namespaces."""
    if request.namespace == namespace:
        return "ns"
    return "cluster" if not request.namespace else "other"


@dataclass(frozen=True)
class Row:
    kind: str
    verb: str
    resource: str
    """`<resource>[.<group>]`."""
    subresource: str
    scope: str
    count: int
    failed: int


_KIND_ORDER = {"read": 0, "watch": 1, "write": 2, "event": 3, "other": 4}


def breakdown(requests: list[Request], namespace: str = "") -> list[Row]:
    """Requests per verb + resource + subresource + scope, reads first, then by count."""
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    failures: Counter[tuple[str, str, str, str, str]] = Counter()
    for r in requests:
        resource = f"{r.base_resource}.{r.group}" if r.group else r.base_resource
        key = (kind_of(r), r.verb, resource, r.subresource, scope_of(r, namespace))
        counts[key] += 1
        failures[key] += r.failed
    rows = [Row(*key, count=n, failed=failures[key]) for key, n in counts.items()]
    return sorted(rows, key=lambda row: (_KIND_ORDER[row.kind], -row.count, row.verb, row.resource))


def breakdown_table(
    requests: list[Request], objects: float, namespace: str = "", per: str = "per object"
) -> str:
    """`breakdown` as a fixed-width table with a column of counts divided by `objects` (> 0)."""
    rows = breakdown(requests, namespace)
    header = ("class", "verb", "resource", "subresource", "scope", "total", per, "failed")
    body = [
        (
            row.kind,
            row.verb,
            row.resource,
            row.subresource or "-",
            row.scope,
            str(row.count),
            f"{row.count / objects:.2f}",
            str(row.failed or ""),
        )
        for row in rows
    ]
    return table(header, body, right=(5, 6, 7))


def sequence(requests: list[Request], name: str) -> list[str]:
    """In log order, the requests naming an object `name` (of any resource kind).

    Events are created with `generateName`, so their creates name nothing in the log and are not
    listed; cluster-wide reads name no object either."""
    return [f"{r.verb} {r.resource}" for r in requests if r.name == name]


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: tuple[int, ...] = ()) -> str:
    """A plain fixed-width text table; columns in `right` are right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)])


# ---------------------------------------------------------------- the operator process, from /proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces or ')'
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of process `pid` in MiB, from /proc/<pid>/status."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024  # kB
    return found
