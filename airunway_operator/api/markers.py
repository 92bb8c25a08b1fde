"""Kubernetes-only schema markers that the typed models carry for the CRD generator.

Pydantic knows types, bounds, patterns, defaults and descriptions; it has no words for list-map
keys, preserve-unknown-fields, int32 formats, nullability or CEL rules. Those travel in a field's
(or a model's) `json_schema_extra` as the exact OpenAPI extension keys the API server reads, and
`crdschema` copies them verbatim. Pure data: nothing here validates anything.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

#: A fragment of OpenAPI keywords, as accepted by pydantic's `json_schema_extra`.
JsonDict: TypeAlias = dict[str, Any]

#: Key under which CEL rules (`x-kubernetes-validations`) are attached to a model or a field.
#: Adding `validations(cel_rule(...))` to a `json_schema_extra` is enough for `crdgen` to publish it;
#: the ModelDeployment rules themselves live in `celrules`.
VALIDATIONS: Final = "x-kubernetes-validations"

#: The `reason` values a CEL rule may carry; they pick the error kind (and HTTP status) the API
#: server reports. Without one the API server reports FieldValueInvalid.
REASON_INVALID: Final = "FieldValueInvalid"
REASON_REQUIRED: Final = "FieldValueRequired"
REASON_FORBIDDEN: Final = "FieldValueForbidden"
REASON_DUPLICATE: Final = "FieldValueDuplicate"

INT32: Final[JsonDict] = {"format": "int32"}
INT64: Final[JsonDict] = {"format": "int64"}

#: Free-form object whose content the API server must keep (no pruning).
PRESERVE_UNKNOWN_FIELDS: Final[JsonDict] = {"x-kubernetes-preserve-unknown-fields": True}

#: A nullable pointer whose absence differs from its zero value (and an explicit null means absent).
NULLABLE: Final[JsonDict] = {"nullable": True}

#: A struct that is replaced as a whole by server-side apply (used for core/v1 key selectors).
ATOMIC_MAP: Final[JsonDict] = {"x-kubernetes-map-type": "atomic"}

#: Kubernetes resource.Quantity as written in manifests (also used for int-or-string quantities).
QUANTITY_PATTERN: Final = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)

#: RFC 1123 label: lower-case alphanumerics and '-', alphanumeric at both ends.
DNS_LABEL_PATTERN: Final = r"^[a-z0-9]([a-z0-9\-]*[a-z0-9])?$"


def schema_only(**keywords: Any) -> JsonDict:
    """OpenAPI keywords (by their OpenAPI names) published in the CRD but not checked when parsing.

    For bounds the API server enforces while the typed model must still read any stored object:
    objects stored before a bound existed keep their values (CRD validation ratcheting), and the
    webhook reports such values with upstream's own messages rather than as parse errors.
    """
    return dict(keywords)


def list_map(*keys: str) -> JsonDict:
    """Markers for a list whose items are merged and de-duplicated by `keys`."""
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)}


def cel_rule(
    rule: str,
    message: str,
    field_path: str | None = None,
    *,
    reason: str | None = None,
    message_expression: str | None = None,
    optional_old_self: bool = False,
) -> JsonDict:
    """One entry of `x-kubernetes-validations`.

    `message` is always set: it is the fallback when `message_expression` fails to evaluate.
    `field_path` (relative to where the rule sits, no list indexes) names the field the error is
    reported on; `optional_old_self` makes a transition rule run on create too (`oldSelf` is then an
    empty optional).
    """
    entry: JsonDict = {"rule": rule, "message": message}
    if message_expression is not None:
        entry["messageExpression"] = message_expression
    if field_path is not None:
        entry["fieldPath"] = field_path
    if reason is not None:
        entry["reason"] = reason
    if optional_old_self:
        entry["optionalOldSelf"] = True
    return entry


def validations(*rules: JsonDict) -> JsonDict:
    """The `json_schema_extra` fragment that attaches CEL rules to a model or a field."""
    return {VALIDATIONS: list(rules)}


def merge(*fragments: JsonDict) -> JsonDict:
    """Combine several marker fragments into one `json_schema_extra` dict."""
    combined: JsonDict = {}
    for fragment in fragments:
        combined.update(fragment)
    return combined
