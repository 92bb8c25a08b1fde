"""Files generated from the code (CRDs, their chart copies, RBAC): compare with what is committed,
or write them. Shared by every generator's `--check`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path


def stale(files: Mapping[Path, str], root: Path | None = None) -> list[str]:
    """A unified diff (committed → generated) for every file whose content differs."""
    diffs: list[str] = []
    for path, expected in files.items():
        current = path.read_text() if path.exists() else ""
        if current != expected:
            name = str(path.relative_to(root)) if root is not None else str(path)
            diffs.extend(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    fromfile=f"{name} (committed)",
                    tofile=f"{name} (generated)",
                )
            )
    return diffs


def write(files: Mapping[Path, str]) -> None:
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
