"""The operator's version, as installed (reported in InferenceProviderConfig status)."""

from __future__ import annotations

from importlib import metadata
from typing import Final


def _installed() -> str:
    try:
        return metadata.version("airunway-operator")
    except metadata.PackageNotFoundError:  # running from a source tree without installation
        return "dev"


VERSION: Final = _installed()
