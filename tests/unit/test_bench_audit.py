"""The benchmarks' audit-log counting: each request once, classes, breakdown, a rotated log."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from benchmarks import audit

OPERATOR = "airunway-operator/0.1.0"


def event(
    verb: str,
    resource: str,
    *,
    stage: str = "ResponseComplete",
    agent: str = OPERATOR,
    namespace: str = "ns1",
    subresource: str = "",
    group: str = "",
    code: int = 200,
    audit_id: str = "",
) -> str:
    ref: dict[str, Any] = {"resource": resource, "namespace": namespace, "apiVersion": "v1"}
    if subresource:
        ref["subresource"] = subresource
    if group:
        ref["apiGroup"] = group
    if not namespace:
        del ref["namespace"]
    return json.dumps(
        {
            "kind": "Event",
            "auditID": audit_id or f"{verb}-{resource}-{stage}",
            "stage": stage,
            "verb": verb,
            "userAgent": agent,
            "objectRef": ref,
            "responseStatus": {"code": code},
        },
        separators=(",", ":"),
    )


def test_a_short_request_counts_once_at_response_complete() -> None:
    lines = [event("get", "pods", stage="ResponseStarted"), event("get", "pods")]
    assert [r.verb for r in audit.parse(lines)] == ["get"]


def test_a_watch_counts_when_it_starts_and_a_refused_one_when_it_fails() -> None:
    lines = [
        event("watch", "pods", stage="ResponseStarted", audit_id="w1"),
        event("watch", "pods", audit_id="w1"),  # the same watch ending
        event("watch", "services", audit_id="w0"),  # started before the window, ended in it
        event("watch", "nodes", code=410, audit_id="w2"),  # refused, never started
    ]
    assert sorted(r.resource for r in audit.parse(lines)) == ["nodes", "pods"]


def test_agents_filter_keeps_only_the_operators_requests() -> None:
    lines = [
        event("list", "pods"),
        event("list", "pods", agent="kopf/1.37.0"),
        event("list", "pods", agent="kube-scheduler/v1.36.3"),
        "not json",
    ]
    assert len(audit.parse(lines)) == 3
    found = audit.parse(lines, audit.OPERATOR_AGENTS)
    assert sorted(r.user_agent for r in found) == ["airunway-operator/0.1.0", "kopf/1.37.0"]
    assert audit.by_operator(audit.parse(lines)) == found


def test_classes_keep_events_apart_from_other_writes() -> None:
    requests = audit.parse(
        [
            event("get", "modeldeployments", group="airunway.ai"),
            event("list", "gateways", group="gateway.networking.k8s.io", namespace=""),
            event("watch", "pods", stage="ResponseStarted"),
            event("patch", "modeldeployments", subresource="status", group="airunway.ai"),
            event("create", "events"),
            event("create", "events", group="events.k8s.io", audit_id="e2"),
        ]
    )
    assert audit.totals(requests) == {"read": 2, "watch": 1, "write": 1, "event": 2}
    status = next(r for r in requests if r.verb == "patch")
    assert (status.resource, status.base_resource, status.subresource) == (
        "modeldeployments/status",
        "modeldeployments",
        "status",
    )


def test_breakdown_counts_per_verb_resource_subresource_and_scope() -> None:
    lines = [
        event("patch", "modeldeployments", subresource="status", group="airunway.ai", audit_id=f"p{i}")
        for i in range(6)
    ]
    lines += [
        event("patch", "modeldeployments", subresource="status", group="airunway.ai", code=409, audit_id="c"),
        event("list", "gateways", group="gateway.networking.k8s.io", namespace="", audit_id="l"),
        event("create", "events", audit_id="e"),
    ]
    rows = audit.breakdown(audit.parse(lines), "ns1")
    assert [(r.kind, r.verb, r.resource, r.subresource, r.scope, r.count, r.failed) for r in rows] == [
        ("read", "list", "gateways.gateway.networking.k8s.io", "", "cluster", 1, 0),
        ("write", "patch", "modeldeployments.airunway.ai", "status", "ns", 7, 1),
        ("event", "create", "events", "", "ns", 1, 0),
    ]
    text = audit.breakdown_table(audit.parse(lines), 2, "ns1")
    assert "per object" in text.splitlines()[0]
    assert "3.50" in text  # 7 status patches over 2 objects


def test_a_mark_reads_on_across_the_logs_rotation(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(event("get", "a") + "\n")
    start = audit.mark(log)
    with log.open("a") as handle:
        handle.write(event("get", "b") + "\n")
    log.rename(tmp_path / "audit-2026-12-04T13-00-00.000.log")  # what kube-apiserver does
    log.write_text(event("get", "c") + "\n")
    assert [r.resource for r in audit.requests_since(log, start)] == ["b", "c"]
    assert [r.resource for r in audit.requests_since(log, audit.offset(log))] == []
    assert [r.resource for r in audit.requests_since(log, 0)] == ["c"]
    assert audit.requests_since(tmp_path / "missing.log", audit.mark(tmp_path / "missing.log")) == []


def test_cpu_and_memory_of_a_process_come_from_proc() -> None:
    assert audit.cpu_seconds(os.getpid()) > 0
    memory = audit.memory_mib(os.getpid())
    assert 0 < memory["VmRSS"] <= memory["VmHWM"]


def test_sequence_lists_the_requests_naming_one_object_in_order() -> None:
    def named(verb: str, resource: str, name: str, sub: str = "") -> str:
        line = json.loads(event(verb, resource, subresource=sub, audit_id=f"{verb}{resource}{name}{sub}"))
        line["objectRef"]["name"] = name
        return json.dumps(line)

    lines = [
        named("patch", "modeldeployments", "m0"),
        named("patch", "modeldeployments", "m01"),
        named("create", "deployments", "m0"),
        named("patch", "modeldeployments", "m0", "status"),
    ]
    assert audit.sequence(audit.parse(lines), "m0") == [
        "patch modeldeployments",
        "create deployments",
        "patch modeldeployments/status",
    ]
