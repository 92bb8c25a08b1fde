"""Locate the control-plane binaries built by build.sh (cached outside the repository).

Lookup order: $AIRUNWAY_TESTENV_BIN (one directory holding everything), then envtest's
$KUBEBUILDER_ASSETS, then the per-version cache directories written by build.sh.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


class MissingBinariesError(RuntimeError):
    """Raised when a binary is missing; the message says how to build it."""


def versions() -> dict[str, str]:
    """The pinned versions from versions.env (K8S, ETCD, KWOK)."""
    pinned: dict[str, str] = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            pinned[key.strip()] = value.strip()
    return pinned


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "airunway-testenv"


def _candidates(name: str, env: Mapping[str, str]) -> list[Path]:
    pinned = versions()
    dirs = [Path(env[var]) for var in ("AIRUNWAY_TESTENV_BIN", "KUBEBUILDER_ASSETS") if env.get(var)]
    component = {"etcd": f"etcd-{pinned['ETCD']}", "kwok": f"kwok-{pinned['KWOK']}"}.get(
        name, f"k8s-{pinned['K8S']}"
    )
    dirs.append(cache_root() / component)
    return [d / name for d in dirs]


def find(env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Return the path of every control-plane binary, or raise MissingBinariesError."""
    env = os.environ if env is None else env
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in NAMES:
        path = next((p for p in _candidates(name, env) if os.access(p, os.X_OK)), None)
        if path is None:
            missing.append(name)
        else:
            found[name] = path
    if missing:
        raise MissingBinariesError(
            f"control-plane binaries not found: {', '.join(missing)}; "
            "build them once with `make testenv-build` (cached under ~/.cache/airunway-testenv)"
        )
    return found


def kwok_stages(kwok_binary: Path) -> Path:
    """The kwok Stage documents assembled by build.sh next to the kwok binary."""
    stages = kwok_binary.parent / "stages.yaml"
    if not stages.exists():
        raise MissingBinariesError(f"{stages} is missing; rerun tests/controlplane/build.sh kwok")
    return stages
