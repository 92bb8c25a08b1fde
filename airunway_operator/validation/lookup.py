"""The outcome of the InferenceProviderConfig lookup the admission I/O layer performs (SPEC-core §2.7).

The pure core never reads the cluster: the handler asks `admission.provider_to_look_up(body)`
which provider to fetch, classifies what the API answered (by HTTP status and reason, never by
message text) into one of these values, and passes it to `validate_create`/`validate_update`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from airunway_operator.api.providerconfig import InferenceProviderConfig


@dataclass(frozen=True)
class Found:
    """The provider's InferenceProviderConfig exists; its capabilities are checked (rules 10b-10d)."""

    config: InferenceProviderConfig


@dataclass(frozen=True)
class NotFound:
    """No InferenceProviderConfig of that name, in the cache nor on a direct read: rejected."""


@dataclass(frozen=True)
class NotInstalled:
    """The InferenceProviderConfig CRD is not served ("no match for kind"): the check is skipped."""


@dataclass(frozen=True)
class Forbidden:
    """RBAC denied the read (403/401): rejected with an internal error, since nothing was verified."""

    reason: str = ""


@dataclass(frozen=True)
class Unavailable:
    """Any other read failure: admitted with a warning; the controller re-validates later."""

    reason: str


@dataclass(frozen=True)
class NotLookedUp:
    """No lookup was made, because none was needed (or the caller cannot make one)."""


ProviderLookup: TypeAlias = Found | NotFound | NotInstalled | Forbidden | Unavailable | NotLookedUp

NOT_LOOKED_UP: Final = NotLookedUp()
NOT_FOUND: Final = NotFound()
NOT_INSTALLED: Final = NotInstalled()
