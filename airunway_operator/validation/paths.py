"""Field paths as Kubernetes prints them: `spec.model.storage.volumes[2].mountPath`.

Only string building lives here, so every validator spells paths the same way.
"""

from __future__ import annotations

import re
from typing import Final

_PLAIN_KEY: Final = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")

SPEC: Final = "spec"
MODEL_ID: Final = "spec.model.id"
MODEL_SOURCE: Final = "spec.model.source"
STORAGE: Final = "spec.model.storage"
VOLUMES: Final = "spec.model.storage.volumes"
PROVIDER_NAME: Final = "spec.provider.name"
OVERRIDES: Final = "spec.provider.overrides"
ENGINE_TYPE: Final = "spec.engine.type"
ENGINE_IMAGE: Final = "spec.engine.image"
EXTRA_ARGS: Final = "spec.engine.extraArgs"
SERVING_MODE: Final = "spec.serving.mode"
SCALING: Final = "spec.scaling"
RESOURCES: Final = "spec.resources"
RESOURCES_GPU: Final = "spec.resources.gpu"
RESOURCES_GPU_COUNT: Final = "spec.resources.gpu.count"
METADATA_NAME: Final = "metadata.name"


def child(path: str, key: object) -> str:
    """`path.key` for ordinary keys, `path[key]` for keys that would not read as one segment."""
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{path}.{text}"
    return f"{path}[{text}]"


def index(path: str, position: int) -> str:
    """`path[position]` for a list item."""
    return f"{path}[{position}]"


def volume(position: int, field: str | None = None) -> str:
    """Path of storage volume `position`, or of one of its fields."""
    base = index(VOLUMES, position)
    return base if field is None else f"{base}.{field}"
