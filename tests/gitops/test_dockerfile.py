"""The Dockerfile builds a non-root image from pinned bases, runnable with a read-only root filesystem.

No container engine runs here: the file is parsed (continuations joined, ARG defaults substituted
into FROM) and its instructions checked; .ci/run replays the build steps themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from tests.support import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
CI_RUN = REPO / ".ci/run"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions in order, with backslash continuations joined and comments dropped."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        part = stripped.removesuffix("\\").strip()
        pending = f"{pending} {part}".strip()
        if stripped.endswith("\\"):
            continue
        keyword, _, args = pending.partition(" ")
        found.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    return found


def stages(parsed: list[Instruction]) -> list[list[Instruction]]:
    """The instructions of each build stage; the global ARGs before the first FROM are left out."""
    result: list[list[Instruction]] = []
    for instruction in parsed:
        if instruction.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def global_args(parsed: list[Instruction]) -> dict[str, str]:
    args = {}
    for instruction in parsed:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            name, _, default = instruction.args.partition("=")
            args[name] = default
    return args


def base_images(parsed: list[Instruction]) -> list[str]:
    """The image each FROM pulls (ARG defaults substituted); FROMs naming an earlier stage are skipped."""
    args = global_args(parsed)
    names: set[str] = set()
    images = []
    for instruction in parsed:
        if instruction.keyword != "FROM":
            continue
        words = instruction.args.split()
        image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m[1] or m[2]], words[0])
        if len(words) >= 3 and words[1].upper() == "AS":
            names.add(words[2])
        if image not in names:
            images.append(image)
    return images


def env(stage: list[Instruction]) -> dict[str, str]:
    values = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", instruction.args):
                values[key] = value
    return values


PARSED = instructions(DOCKERFILE.read_text())
FINAL = stages(PARSED)[-1]


def pinned(image: str) -> bool:
    """A digest, or a tag carrying a full x.y.z version; never `latest` nor a bare name."""
    if "@sha256:" in image:
        return True
    _, _, tag = image.rpartition(":")
    return "/" not in tag and tag != "latest" and bool(re.match(r"\d+\.\d+\.\d+", tag))


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("python:3.11.13-slim-bookworm", True),
        ("python@sha256:" + "a" * 64, True),
        ("python:3.11-slim", False),
        ("python:latest", False),
        ("python", False),
        ("registry:5000/python", False),
    ],
)
def test_pinned_rule(image: str, ok: bool) -> None:
    assert pinned(image) is ok


def test_every_base_image_is_pinned() -> None:
    images = base_images(PARSED)
    assert images, "no FROM found"
    for image in images:
        assert pinned(image), image


def test_base_images_are_build_args_for_digest_pinning() -> None:
    args = global_args(PARSED)
    assert {"BASE_IMAGE", "NODE_IMAGE"} <= set(args)
    froms = [i.args for i in PARSED if i.keyword == "FROM"]
    assert all(f.startswith(("${BASE_IMAGE}", "${NODE_IMAGE}")) for f in froms)
    # Node.js only bundles the UI: the runtime image is the Python base.
    assert froms[-1].startswith("${BASE_IMAGE}")


def test_runs_as_a_numeric_non_root_user() -> None:
    users = [i.args for i in FINAL if i.keyword == "USER"]
    assert users, "the final stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_entrypoint_is_the_operator() -> None:
    entrypoints = [i.args for i in FINAL if i.keyword == "ENTRYPOINT"]
    assert entrypoints
    assert json.loads(entrypoints[-1]) == ["airunway-operator"]
    assert json.loads(next(i.args for i in FINAL if i.keyword == "CMD")) == ["run"]


def test_read_only_root_filesystem_friendly() -> None:
    values = env(FINAL)
    assert values["HOME"] == "/tmp"
    assert values["PYTHONDONTWRITEBYTECODE"] == "1"
    assert [i.args for i in FINAL if i.keyword == "WORKDIR"][-1] == "/tmp"


def test_installs_only_the_wheels_built_in_the_build_stage() -> None:
    (build_stage,) = [s for s in stages(PARSED) if s[0].args.endswith(" AS build")]
    build = " ".join(i.args for i in build_stage if i.keyword == "RUN")
    install = " ".join(i.args for i in FINAL if i.keyword == "RUN")
    assert "pip wheel" in build
    assert "--no-cache-dir" in build
    assert "--no-index --find-links /wheels" in install
    assert "--no-cache-dir" in install
    assert "SOURCE_DATE_EPOCH" in install


def test_oci_labels() -> None:
    labels = " ".join(i.args for i in FINAL if i.keyword == "LABEL")
    for key in ("title", "description", "licenses", "version", "revision", "base.name"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if not line.startswith("#")}
    assert {".git", ".venv", ".testenv", "tests", "**/__pycache__", ".mypy_cache", ".pytest_cache"} <= ignored
    copied = [i.args.split()[0] for i in PARSED if i.keyword == "COPY" and not i.args.startswith("--from")]
    assert not set(copied) & ignored, "the Dockerfile copies a path .dockerignore leaves out"


def test_ci_replays_the_same_steps() -> None:
    text = CI_RUN.read_text()
    section = text.split('echo "== dockerfile steps without docker"', 1)[1].split('echo "== make test"', 1)[0]
    assert 'pip" wheel' in section
    assert "--no-index --find-links" in section
    assert 'airunway-operator" --help' in section
    assert "SOURCE_DATE_EPOCH=0" in section
