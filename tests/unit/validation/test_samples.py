"""Every shipped sample is admitted with the shipped provider configs, on create and on a no-op update."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.validation import admission, lookup
from tests.support import manifests

PROVIDERS = {
    body["metadata"]["name"]: InferenceProviderConfig.parse(body)
    for _, body in manifests("config/providers")
    if body.get("kind") == "InferenceProviderConfig"
}
SAMPLES = [
    pytest.param(body, id=f"{file} is admitted")
    for file, body in manifests("config/samples")
    if body.get("kind") == "ModelDeployment"
]


def _lookup(body: dict[str, Any]) -> lookup.ProviderLookup:
    name = admission.provider_to_look_up(body)
    if name is None:
        return lookup.NOT_LOOKED_UP
    return lookup.Found(PROVIDERS[name]) if name in PROVIDERS else lookup.NOT_FOUND


@pytest.mark.parametrize("body", SAMPLES)
def test_sample_is_admitted(body: dict[str, Any]):
    create = admission.validate_create(body, _lookup(body))
    assert create.allowed, create.message()
    update = admission.validate_update(body, body, _lookup(body))
    assert update.allowed, update.message()
