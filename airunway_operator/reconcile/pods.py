"""The pods serving each ModelDeployment, as the pod watch reports them: a small in-memory index.

A provider names a pod label whose value is the ModelDeployment's name (`Provider.pod_label`); the
pod watch feeds every event of a pod carrying one of those labels here. The index keeps only
`pod_diagnosis.essentials` of each pod (name, the owning label, the problem fields), so its size
stays a few hundred bytes per pod whatever the pods carry, and says which ModelDeployment should
run a provider pass: only when the pod's diagnosis changed, never for readiness flips, restarts
counted or status heartbeats that change nothing the status reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airunway_operator.core import pod_diagnosis
from providers.base import Manifest

#: (label key, namespace, label value): one provider's pods of one ModelDeployment.
Owner = tuple[str, str, str]


class PodIndex:
    def __init__(self, labels: Iterable[str] = ()) -> None:
        self.labels = frozenset(labels)
        self._pods: dict[Owner, dict[str, Manifest]] = {}
        self._owners: dict[tuple[str, str], set[Owner]] = {}
        """(namespace, pod name) → the owners it is indexed under (to follow a relabelled pod)."""

    def knows(self, body: Mapping[str, Any]) -> bool:
        """True when `body` is indexed (its labels may since have been removed)."""
        return _where(body) in self._owners

    def is_relevant(self, body: Mapping[str, Any]) -> bool:
        """True for a pod carrying one of our labels, or one we index (to notice it leave)."""
        labels = (body.get("metadata") or {}).get("labels") or {}
        return any(label in labels for label in self.labels) or self.knows(body)

    def observe(self, body: Mapping[str, Any], *, deleted: bool = False) -> list[Owner]:
        """Record a pod event; return the owners whose pods' diagnosis changed, in order."""
        where = _where(body)
        labels = (body.get("metadata") or {}).get("labels") or {}
        now: set[Owner] = set()
        if not deleted:
            now = {(label, where[0], str(labels[label])) for label in self.labels if labels.get(label)}
        before = self._owners.pop(where, set())
        kept = pod_diagnosis.essentials(body, self.labels)
        changed: list[Owner] = []
        for owner in sorted(before | now):
            pods = self._pods.setdefault(owner, {})
            old = pods.pop(where[1], None)
            if owner in now:
                pods[where[1]] = kept
            elif not pods:
                del self._pods[owner]
            if _problem(old) != _problem(kept if owner in now else None):
                changed.append(owner)
        if now:
            self._owners[where] = now
        return changed

    def pods(self, label: str, namespace: str, owner: str) -> tuple[Manifest, ...]:
        """The essentials of the pods labelled `label=owner` in `namespace`, by name."""
        pods = self._pods.get((label, namespace, owner), {})
        return tuple(pods[name] for name in sorted(pods))

    def __len__(self) -> int:
        return len(self._owners)


def _where(body: Mapping[str, Any]) -> tuple[str, str]:
    meta = body.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _problem(pod: Manifest | None) -> pod_diagnosis.PodProblem | None:
    return pod_diagnosis.problem_of(pod) if pod is not None else None
