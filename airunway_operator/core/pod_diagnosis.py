"""Why a ModelDeployment's pods do not serve: the one most relevant pod problem, if any. Pure.

Reads pod JSON (a full pod, or the `essentials` the runtime's pod index keeps) and finds what the
scheduler or the kubelet said is wrong: a pod the scheduler cannot place (`PodScheduled=False`,
`Unschedulable`), or a container (init containers too) waiting with a reason that will not clear on
its own: a bad or unpullable image, a missing Secret/ConfigMap, a crash loop. Pods that are merely
starting (`ContainerCreating`, `PodInitializing`), finished pods and pods being deleted are no
problem.

Several problems: the worst kind wins (a spec-level mistake before a pull failure before a crash
loop before scheduling), then the pod name, so the message is the same on every pass. Messages are
one line naming the pod and keeping the pod's own reason token, e.g.
`Pod qwen-5c7d9-x2x9z cannot be scheduled (Unschedulable): 0/4 nodes are available: ...`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

UNSCHEDULABLE: Final = "Unschedulable"
CRASH_LOOP: Final = "CrashLoopBackOff"

#: Container waiting reasons that are problems: reason → (rank, what it means). A lower rank is
#: worse: mistakes in the spec first (nothing recovers without an edit), then pulls, then crashes.
WAITING_PROBLEMS: Final[Mapping[str, tuple[int, str]]] = {
    "InvalidImageName": (0, "has an invalid image name"),
    "ErrImageNeverPull": (1, "has no local image and pull policy Never"),
    "CreateContainerConfigError": (2, "cannot be configured"),
    "CreateContainerError": (3, "cannot be created"),
    "ErrImagePull": (4, "cannot pull its image"),
    "ImagePullBackOff": (4, "cannot pull its image"),
    "RunContainerError": (5, "cannot be started"),
    CRASH_LOOP: (5, "keeps crashing"),
}
UNSCHEDULABLE_RANK: Final = 6
#: Waiting reasons of a container that ran and stopped: the last termination says why.
RESTARTING: Final = frozenset({CRASH_LOOP, "RunContainerError"})

#: Longest pod-provided text kept in a message (kubelet pull errors and termination messages can
#: run to kilobytes; the condition message should stay readable).
DETAIL_LIMIT: Final = 300
#: Longest text the pod index keeps per field (see `essentials`).
KEEP_LIMIT: Final = 1024

# The scheduler appends what preemption could do; it never explains the failure, only lengthens it.
_PREEMPTION: Final = " preemption: "


@dataclass(frozen=True)
class PodProblem:
    pod: str
    reason: str
    """The pod's own token: `Unschedulable` or the container's waiting reason."""
    message: str
    """One line for the `Ready` condition and `status.message`, naming the pod."""
    rank: int
    """Lower is worse (see WAITING_PROBLEMS)."""


def diagnose(pods: Iterable[Mapping[str, Any]]) -> PodProblem | None:
    """The worst problem among `pods` (ties: the first pod by name), or None; never raises.

    When other pods have problems too, the message says how many."""
    problems = sorted(
        (p for pod in pods if (p := problem_of(pod)) is not None), key=lambda p: (p.rank, p.pod)
    )
    if not problems:
        return None
    worst, others = problems[0], len(problems) - 1
    if others:
        more = f" (and {others} more pod{'s' if others > 1 else ''} with problems)"
        return PodProblem(worst.pod, worst.reason, worst.message + more, worst.rank)
    return worst


def problem_of(pod: Mapping[str, Any]) -> PodProblem | None:
    """The worst problem of one pod: its containers' (init containers first), else scheduling."""
    meta = _mapping(pod.get("metadata"))
    status = _mapping(pod.get("status"))
    if meta.get("deletionTimestamp") or status.get("phase") in ("Succeeded", "Failed"):
        return None
    name = _text(meta.get("name")) or "(unnamed)"
    found = [
        problem
        for kind, field in (("init container", "initContainerStatuses"), ("container", "containerStatuses"))
        for container in _list(status.get(field))
        if (problem := _container_problem(name, kind, container)) is not None
    ]
    scheduling = _scheduling_problem(name, status)
    if scheduling is not None:
        found.append(scheduling)
    return min(found, key=lambda p: p.rank) if found else None


def _scheduling_problem(pod: str, status: Mapping[str, Any]) -> PodProblem | None:
    for condition in _list(status.get("conditions")):
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == UNSCHEDULABLE
        ):
            detail = _detail(_text(condition.get("message")).split(_PREEMPTION, 1)[0])
            message = f"Pod {pod} cannot be scheduled ({UNSCHEDULABLE})"
            return PodProblem(
                pod, UNSCHEDULABLE, f"{message}: {detail}" if detail else message, UNSCHEDULABLE_RANK
            )
    return None


def _container_problem(pod: str, kind: str, container: Mapping[str, Any]) -> PodProblem | None:
    waiting = _mapping(_mapping(container.get("state")).get("waiting"))
    reason = _text(waiting.get("reason"))
    if reason not in WAITING_PROBLEMS:
        return None
    rank, meaning = WAITING_PROBLEMS[reason]
    if reason in RESTARTING:
        # The kubelet's back-off text ("back-off 40s restarting failed container=...") changes with
        # every restart and says nothing; the last termination says why.
        detail = _last_termination(container) or _detail(_text(waiting.get("message")))
    else:
        detail = _detail(_text(waiting.get("message")))
    message = f"Pod {pod} {kind} {_text(container.get('name')) or '(unnamed)'} {meaning} ({reason})"
    return PodProblem(pod, reason, f"{message}: {detail}" if detail else message, rank)


def _last_termination(container: Mapping[str, Any]) -> str:
    terminated = _mapping(_mapping(container.get("lastState")).get("terminated"))
    if not terminated:
        return ""
    code = terminated.get("exitCode")
    reason = _text(terminated.get("reason"))
    text = f"last exit code {code}" if isinstance(code, int) and not isinstance(code, bool) else "last exit"
    if reason:
        text += f" ({reason})"
    # Termination messages (or the log tail, with FallbackToLogsOnError) end with the error.
    lines = [line.strip() for line in _text(terminated.get("message")).splitlines() if line.strip()]
    return f"{text}: {_detail(lines[-1])}" if lines else text


def essentials(pod: Mapping[str, Any], labels: Iterable[str] = ()) -> dict[str, Any]:
    """What an in-memory pod index keeps of `pod`: name, namespace, deletion mark, the `labels`
    asked for, and only the status that `diagnose` reports (a terminal phase, an Unschedulable
    `PodScheduled`, problem waiting states and the termination behind a crash loop), texts capped
    at KEEP_LIMIT. `diagnose(essentials(p))` equals `diagnose(p)`."""
    meta = _mapping(pod.get("metadata"))
    status = _mapping(pod.get("status"))
    pod_labels = _mapping(meta.get("labels"))
    kept_meta: dict[str, Any] = {"name": meta.get("name"), "namespace": meta.get("namespace")}
    kept_labels = {key: pod_labels[key] for key in labels if key in pod_labels}
    if kept_labels:
        kept_meta["labels"] = kept_labels
    if meta.get("deletionTimestamp"):
        kept_meta["deletionTimestamp"] = meta["deletionTimestamp"]
    kept_status: dict[str, Any] = {}
    if status.get("phase") in ("Succeeded", "Failed"):
        kept_status["phase"] = status["phase"]
    unschedulable = [
        _capped(c, ("type", "status", "reason", "message"))
        for c in _list(status.get("conditions"))
        if c.get("type") == "PodScheduled" and c.get("status") == "False" and c.get("reason") == UNSCHEDULABLE
    ]
    if unschedulable:
        kept_status["conditions"] = unschedulable
    for field in ("initContainerStatuses", "containerStatuses"):
        containers = [kept for c in _list(status.get(field)) if (kept := _container_essentials(c))]
        if containers:
            kept_status[field] = containers
    return {"metadata": kept_meta, "status": kept_status}


def _container_essentials(container: Mapping[str, Any]) -> dict[str, Any] | None:
    waiting = _mapping(_mapping(container.get("state")).get("waiting"))
    reason = waiting.get("reason")
    if reason not in WAITING_PROBLEMS:
        return None
    kept: dict[str, Any] = {
        "name": container.get("name"),
        "state": {"waiting": _capped(waiting, ("reason", "message"))},
    }
    terminated = _mapping(_mapping(container.get("lastState")).get("terminated"))
    if terminated and reason in RESTARTING:
        kept["lastState"] = {"terminated": _capped(terminated, ("exitCode", "reason", "message"))}
    return kept


def _capped(source: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key in keys:
        value = source.get(key)
        if value is not None:
            kept[key] = value[:KEEP_LIMIT] if isinstance(value, str) else value
    return kept


def _detail(text: str) -> str:
    """One line of pod-provided text, at most DETAIL_LIMIT characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= DETAIL_LIMIT else flat[: DETAIL_LIMIT - 1].rstrip() + "…"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
