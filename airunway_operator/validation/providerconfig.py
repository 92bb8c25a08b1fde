"""Admission of InferenceProviderConfigs: selection rules must compile (we go beyond upstream here).

Upstream accepts any CEL text and silently skips a rule that does not compile, so a typo quietly
changes which provider wins. We reject it at admission, naming the rule. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from airunway_operator.api.providerconfig import InferenceProviderConfig, InferenceProviderConfigSpec
from airunway_operator.selection import cel
from airunway_operator.validation.parsing import field_errors
from airunway_operator.validation.result import ErrorKind, FieldError, Verdict

KIND = "InferenceProviderConfig"


def validate(body: Mapping[str, Any]) -> Verdict:
    """Every problem of one InferenceProviderConfig: spec shape, then each rule that cannot compile."""
    metadata = body.get("metadata")
    name = str(metadata.get("name") or "") if isinstance(metadata, Mapping) else ""
    raw_spec = body.get("spec")
    if raw_spec is None:
        return Verdict(name=name, kind=KIND)
    if not isinstance(raw_spec, Mapping):
        return Verdict(
            (FieldError("spec", ErrorKind.INVALID, "spec must be an object"),), name=name, kind=KIND
        )
    try:
        spec = InferenceProviderConfigSpec.model_validate(raw_spec)
    except ValidationError as error:
        return Verdict(tuple(field_errors(raw_spec, error.errors(include_url=False))), name=name, kind=KIND)
    errors = tuple(
        FieldError(
            f"spec.selectionRules[{index}].condition",
            ErrorKind.INVALID,
            f"spec.selectionRules[{index}].condition is not a valid CEL expression ({message}); fix the rule",
        )
        for index, message in cel.check_rules(InferenceProviderConfig(spec=spec))
    )
    return Verdict(errors, name=name, kind=KIND)
