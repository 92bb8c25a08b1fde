"""Bearer tokens: taken from the Authorization header, checked with a TokenReview (answers kept a
short while, keyed by a digest so no token is held in clear), then used for the caller's requests."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable

#: How long a TokenReview verdict is reused; a revoked token stops working within this time.
ACCEPTED_TTL_SECONDS = 30.0
REJECTED_TTL_SECONDS = 5.0
MAX_ENTRIES = 1024


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class TokenVerdicts:
    """TokenReview answers cached per token digest."""

    def __init__(
        self, review: Callable[[str], Awaitable[bool]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._review = review
        self._clock = clock
        self._verdicts: dict[str, tuple[float, bool]] = {}

    async def authenticated(self, token: str) -> bool:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        cached = self._verdicts.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        verdict = await self._review(token)
        if len(self._verdicts) >= MAX_ENTRIES:
            self._verdicts = {k: v for k, v in self._verdicts.items() if v[0] > now}
            if len(self._verdicts) >= MAX_ENTRIES:
                self._verdicts.clear()
        self._verdicts[key] = (now + (ACCEPTED_TTL_SECONDS if verdict else REJECTED_TTL_SECONDS), verdict)
        return verdict
