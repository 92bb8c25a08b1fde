"""kopf's per-event change detection is skipped and its watch reader decodes with orjson; both are
safe only while this operator registers no change-detecting handlers, which this test keeps true."""

from __future__ import annotations

import json

import kopf
import pytest

import providers
from airunway_operator import kopf_tuning


def test_event_only_diff_base_copies_nothing_and_remembers_nothing() -> None:
    storage = kopf_tuning.EventOnlyDiffBase()
    body = kopf.Body(
        {"metadata": {"name": "x", "annotations": {"a": "b"}}, "spec": {"big": list(range(100))}}
    )
    assert storage.build(body=body) == {}
    assert storage.fetch(body=body) is None
    patch = kopf.Patch()
    storage.store(body=body, patch=patch, essence=kopf.BodyEssence())
    assert not patch


def test_kopf_watch_lines_decode_the_same_with_orjson() -> None:
    from kopf._cogs.clients import api

    assert kopf_tuning.use_fast_watch_json()
    assert kopf_tuning.use_fast_watch_json()  # idempotent
    line = json.dumps({"type": "ADDED", "object": {"kind": "Pod", "metadata": {"name": "p", "labels": {}}}})
    decoder = getattr(api, "json")  # noqa: B009 - kopf does not export it
    assert decoder.loads(line.encode().decode("utf-8")) == json.loads(line)
    with pytest.raises(ValueError, match=r"\w"):
        decoder.loads("{not json")


def test_every_registered_handler_is_an_event_index_or_lifecycle_handler() -> None:
    # Importing the modules registers their decorated handlers, as the runner does.
    from airunway_operator.handlers import (  # noqa: F401  # noqa: F401
        admission,
        gateway,
        modeldeployment,
        providerconfig,
        startup,
        targets,
        webhook,
    )

    targets.register(tuple(providers.load_providers()))
    gateway.register()
    registry = kopf.get_default_registry()
    assert registry._watching.get_all_handlers()
    assert not registry._changing.get_all_handlers(), "change handlers need kopf's diff base back"
    assert not registry._spawning.get_all_handlers(), "daemons and timers need kopf's diff base back"
