"""Typed ModelDeployments for provider tests: the validation builders' raw bodies, parsed, with a
fixed uid (each provider's goldens record the uid of its owner references)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from airunway_operator.api.modeldeployment import ModelDeployment
from tests.unit.validation.builders import md as md_body

REPO = Path(__file__).resolve().parents[2]


def typed(
    uid: str,
    name: str = "qwen",
    annotations: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
    **fields: Any,
) -> ModelDeployment:
    """A typed MD named `name` in namespace default with `uid`; `fields` as in the builders."""
    body = md_body(name, annotations, status, **fields)
    body["metadata"]["uid"] = uid
    return ModelDeployment.parse(body)


def sample(file: str, uid: str) -> ModelDeployment:
    """A shipped sample of config/samples/, in namespace default with `uid`."""
    body = yaml.safe_load((REPO / "config" / "samples" / file).read_text())
    body["metadata"] |= {"namespace": "default", "uid": uid}
    return ModelDeployment.parse(body)
