"""The command line fails fast with a clear message instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "airunway_operator", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_credentials_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = run("run", home=tmp_path)
    assert result.returncode == 2
    assert "cannot load cluster credentials" in result.stderr
    assert "KUBECONFIG" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_provider_is_named(tmp_path: Path) -> None:
    result = run("run", "--providers", "vllm,nosuch", home=tmp_path)
    assert result.returncode == 2
    assert "nosuch" in result.stderr
    assert "dynamo, kaito, kuberay, llmd, vllm" in result.stderr
