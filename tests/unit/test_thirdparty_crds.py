"""The vendored third-party CRDs are byte-for-byte the upstream files listed in their README."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.controlplane import install

FOLDER = install.THIRDPARTY_CRDS
ROW = re.compile(r"^\| `(?P<file>[^`]+\.yaml)` \| (?P<bytes>\d+) \| `(?P<sha>[0-9a-f]{40})` \|$")


def _listed() -> dict[str, tuple[int, str]]:
    rows = {}
    for line in (FOLDER / "README.md").read_text().splitlines():
        if match := ROW.match(line.strip()):
            rows[match["file"]] = (int(match["bytes"]), match["sha"])
    return rows


def _git_blob_sha(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_every_vendored_file_is_listed() -> None:
    files = {str(p.relative_to(FOLDER)) for p in install.crd_files(FOLDER)}
    assert files == set(_listed())


@pytest.mark.parametrize("name", sorted(_listed()))
def test_vendored_crd_matches_its_upstream_blob(name: str) -> None:
    size, sha = _listed()[name]
    path = FOLDER / name
    assert path.stat().st_size == size
    assert _git_blob_sha(path) == sha
    docs = install.load_all(path.read_text())
    assert len(docs) == 1
    assert docs[0]["kind"] == "CustomResourceDefinition"
