"""The settings users change through the API, kept as the data of one ConfigMap (pure)."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from airunway_backend.catalog import Model
from airunway_backend.validation import DnsLabel

CONFIG_MAP = "airunway-backend-settings"
log = logging.getLogger(__name__)

HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s/]+(/\S*)?$")]


class UserSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaultNamespace: DnsLabel = "default"  # noqa: N815 (the API's field name)
    customModels: list[Model] = Field(default_factory=list)  # noqa: N815
    huggingFaceEndpoint: HttpUrl | None = None  # noqa: N815

    def with_custom_sources(self) -> UserSettings:
        models = [m.model_copy(update={"source": "custom"}) for m in self.customModels]
        return self.model_copy(update={"customModels": models})


def to_data(settings: UserSettings) -> dict[str, str]:
    """ConfigMap data: one key per setting, custom models as a JSON list."""
    return {
        "defaultNamespace": settings.defaultNamespace,
        "huggingFaceEndpoint": settings.huggingFaceEndpoint or "",
        "customModels": json.dumps([m.model_dump(mode="json") for m in settings.customModels], indent=1),
    }


def from_config_map(config_map: dict[str, Any] | None) -> UserSettings:
    """The stored settings; defaults when the ConfigMap is absent, and for a value someone edited
    into something invalid (logged, so the API keeps answering)."""
    data = (config_map or {}).get("data") or {}
    raw: dict[str, Any] = {}
    if data.get("defaultNamespace"):
        raw["defaultNamespace"] = data["defaultNamespace"]
    if data.get("huggingFaceEndpoint"):
        raw["huggingFaceEndpoint"] = data["huggingFaceEndpoint"]
    try:
        if data.get("customModels"):
            raw["customModels"] = json.loads(data["customModels"])
        return UserSettings.model_validate(raw).with_custom_sources()
    except (ValueError, ValidationError) as err:
        log.warning("ConfigMap %s holds invalid settings, using defaults: %s", CONFIG_MAP, err)
        return UserSettings()
