"""Operator-wide kopf settings, applied once at start-up."""

from __future__ import annotations

import logging
from typing import Any

import kopf


@kopf.on.startup()
def operator_configure(settings: kopf.OperatorSettings, logger: kopf.Logger, **_: Any) -> None:
    # We post our own Events; kopf's per-handler "Handler succeeded" events would be noise.
    settings.posting.level = logging.WARNING
    # Kopf must never add its own finalizers or progress annotations for pure watchers.
    settings.persistence.finalizer = "airunway.ai/operator-finalizer"
    settings.watching.server_timeout = 600
    logger.info("Operator configured")
