"""The installation commands of a provider, taken from its InferenceProviderConfig's installation
annotation, and which of them the backend can run itself with helm (pure)."""

from __future__ import annotations

import shlex
from typing import Any


def commands(installation: dict[str, Any]) -> list[str]:
    """The annotation's step commands, in order; without steps, the helm commands its repositories
    and charts describe."""
    steps = [s.get("command") for s in installation.get("steps") or [] if isinstance(s, dict)]
    found = [c.strip() for c in steps if isinstance(c, str) and c.strip()]
    if found:
        return found
    rendered = [
        f"helm repo add {shlex.quote(r['name'])} {shlex.quote(r['url'])}"
        for r in installation.get("helmRepos") or []
        if r.get("name") and r.get("url")
    ]
    for chart in installation.get("helmCharts") or []:
        if not chart.get("name") or not chart.get("chart"):
            continue
        argv = ["helm", "upgrade", "--install", chart["name"], chart["chart"]]
        if chart.get("version"):
            argv += ["--version", str(chart["version"])]
        if chart.get("namespace"):
            argv += ["-n", chart["namespace"]]
        if chart.get("createNamespace"):
            argv.append("--create-namespace")
        for key, value in (chart.get("values") or {}).items():
            argv += ["--set", f"{key}={_helm_value(value)}"]
        rendered.append(shlex.join(argv))
    return rendered


def _helm_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def helm_args(command: str) -> list[str] | None:
    """The arguments after `helm` when `command` is a plain helm invocation (no shell syntax), else None."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    if not argv or argv[0] != "helm" or any(a in ("|", "&&", ";", "||", ">", "<") for a in argv):
        return None
    return argv[1:]
