"""The Grafana dashboard queries only metrics the operator exports, and shows each of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from airunway_operator.metrics import Metrics
from tests.support import REPO

DASHBOARD = REPO / "config/grafana/airunway-dashboard.json"
_SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"})
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?P<selector>[^,)]*)(?:,[^)]*)?\)\s*$")


def exported_series() -> dict[str, str]:
    """Every series name the operator's registry exposes, mapped to its metric family."""
    series = {}
    for family in Metrics().registry.collect():
        for suffix in _SERIES_SUFFIXES[family.type]:
            series[family.name + suffix] = family.name
    return series


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression (or a Grafana label_values query) selects."""
    grafana = _LABEL_VALUES.match(expr)
    if grafana:
        expr = grafana["selector"]
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in _NAME.finditer(text):
        if match.start() > 0 and text[match.start() - 1] in "$.0123456789":
            continue
        if text[match.end() :].lstrip().startswith("(") or match.group() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def queries(node: Any) -> Iterator[str]:
    """Every `expr` of every panel target and every templating query, however deeply nested."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            elif key == "query" and isinstance(value, dict) and isinstance(value.get("query"), str):
                yield value["query"]
            else:
                yield from queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from queries(item)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (le) (rate(foo_bucket{a="b", c=~"$x"}[$__rate_interval])) / bar', {"foo_bucket", "bar"}),
        ('histogram_quantile(0.99, x_bucket{le="0.5"}) or vector(0)', {"x_bucket"}),
        ("a_total offset 5m and on (provider) b", {"a_total", "b"}),
        ("label_values(airunway_deployment_status, provider)", {"airunway_deployment_status"}),
        ('label_values(up{job="x"}, instance)', {"up"}),
    ],
)
def test_metric_name_extraction(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_registry_series_names() -> None:
    series = exported_series()
    assert "airunway_reconciliation_errors_total" in series
    assert "airunway_reconciliation_duration_seconds_bucket" in series
    assert "airunway_deployment_status" in series
    assert "airunway_reconciliation_errors" not in series


def test_dashboard_queries_only_exported_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = list(queries(dashboard))
    assert len(exprs) >= 10
    series = exported_series()
    unknown = {(name, expr) for expr in exprs for name in metric_names(expr) if name not in series}
    assert not unknown, f"dashboard queries metrics the operator does not export: {sorted(unknown)}"
    assert all(metric_names(expr) for expr in exprs), "every query selects at least one metric"


def test_dashboard_shows_every_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    series = exported_series()
    shown = {series[name] for expr in queries(dashboard) for name in metric_names(expr) if name in series}
    assert shown == set(series.values())


def test_dashboard_is_importable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    assert dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval"}
            assert used <= variables, (panel["title"], used)
