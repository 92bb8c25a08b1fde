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


#: What the backend runs itself: adding and updating chart repositories, installing a release.
RUNNABLE = (("repo", "add"), ("repo", "update"), ("upgrade",), ("install",))
#: Flags that would change whom helm acts as (the caller's token is the identity) or run another
#: program (a post-renderer): such a command is left for the user to run.
REFUSED_FLAGS = ("--kube", "--post-renderer")
SHELL_SYNTAX = ("|", "&&", ";", "||", ">", "<", "&")


def helm_args(command: str) -> list[str] | None:
    """The arguments after `helm` when the backend may run `command` itself, else None: a plain
    `helm repo add|update` or `helm upgrade|install` without shell syntax or identity flags."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    if len(argv) < 2 or argv[0] != "helm" or any(a in SHELL_SYNTAX for a in argv):
        return None
    args = argv[1:]
    if not any(tuple(args[: len(prefix)]) == prefix for prefix in RUNNABLE):
        return None
    if any(a.startswith(REFUSED_FLAGS) for a in args):
        return None
    return args
