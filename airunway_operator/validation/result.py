"""The vocabulary of validation results: one field error, and the verdict of an admission review.

Validators return `FieldError`s (never raise); admission folds them into one `Verdict` whose
`message()` is the single rejection text shown by kubectl. Pure data, no rules here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """What is wrong with a field; the short words of Kubernetes' `field.ErrorType`.

    Mapping to the Go constants: Required = FieldValueRequired, Invalid = FieldValueInvalid,
    Forbidden = FieldValueForbidden, NotSupported = FieldValueNotSupported, Duplicate =
    FieldValueDuplicate, TooLong = FieldValueTooLong, InternalError = InternalError (the check
    itself could not be performed, e.g. RBAC denied the provider lookup).
    """

    REQUIRED = "Required"
    INVALID = "Invalid"
    FORBIDDEN = "Forbidden"
    NOT_SUPPORTED = "NotSupported"
    DUPLICATE = "Duplicate"
    TOO_LONG = "TooLong"
    INTERNAL = "InternalError"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: its path (`spec.engine.type`), the kind and a full sentence.

    The message names the field and says how to fix it. `str()` is the message, prefixed with the
    path only when the message does not already start with it, so the path is printed once.
    """

    path: str
    kind: ErrorKind
    message: str

    def __str__(self) -> str:
        if names_path_first(self.message, self.path):
            return self.message
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Verdict:
    """The answer to one admission review: every error found, plus non-fatal warnings."""

    errors: tuple[FieldError, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Name of the reviewed object, used only in `message()`.
    name: str = ""
    #: Kind of the reviewed object, used only in `message()`.
    kind: str = "ModelDeployment"

    @property
    def allowed(self) -> bool:
        """True when no error was found (warnings never deny)."""
        return not self.errors

    @property
    def has_internal_error(self) -> bool:
        """True when a check could not be performed (rather than the object being wrong)."""
        return any(error.kind is ErrorKind.INTERNAL for error in self.errors)

    def message(self) -> str:
        """One rejection text naming every problem and its field path; empty when allowed."""
        if not self.errors:
            return ""
        subject = f"{self.kind} {self.name}" if self.name else self.kind
        if len(self.errors) == 1:
            return f"{subject} is invalid: {self.errors[0]}"
        listed = "; ".join(f"{number}) {error}" for number, error in enumerate(self.errors, start=1))
        return f"{subject} is invalid: {len(self.errors)} problems: {listed}"

    def with_warnings(self, *warnings: str) -> Verdict:
        """The same verdict with more warnings appended (e.g. provider-specific ones, decision D3)."""
        return Verdict(self.errors, (*self.warnings, *warnings), self.name, self.kind)


def names_path_first(message: str, path: str) -> bool:
    """Whether `message` opens with `path` as a whole field path (`spec.scaling is…`, not
    `spec.scaling.prefill is…`)."""
    return message.startswith(path) and message[len(path) : len(path) + 1] in ("", " ", ":", ",", ";")


def shown(value: object, limit: int = 80) -> str:
    """A user value quoted for a message, shortened so a huge input cannot flood the rejection."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(str(value))
    return text if len(text) <= limit else f"{text[: limit - 4]}...'"
