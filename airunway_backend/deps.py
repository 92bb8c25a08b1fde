"""Per-request dependencies: the backend's state and the caller's Kubernetes access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from airunway_backend.auth import TokenVerdicts, bearer_token
from airunway_backend.config import BackendConfig
from airunway_backend.kube import Kube, KubeAccess, KubeError


@dataclass
class Backend:
    config: BackendConfig
    access: KubeAccess
    verdicts: TokenVerdicts


def backend(request: Request) -> Backend:
    state: Backend = request.app.state.backend
    return state


async def caller(request: Request) -> AsyncIterator[Kube]:
    """The Kubernetes access a request acts with: the caller's own token when auth is on."""
    state = backend(request)
    if not state.config.auth:
        yield state.access.own
        return
    token = bearer_token(request.headers.get("authorization"))
    challenge = {"WWW-Authenticate": "Bearer"}
    if token is None:
        raise HTTPException(401, "a bearer token is required (Authorization: Bearer <token>)", challenge)
    try:
        authenticated = await state.verdicts.authenticated(token)
    except KubeError as err:
        message = f"the backend cannot check tokens (TokenReview failed: {err.detail.get('message')})"
        raise HTTPException(503, message) from None
    if not authenticated:
        raise HTTPException(
            401, "the bearer token is not valid (TokenReview did not authenticate it)", challenge
        )
    kube = state.access.for_token(token)
    try:
        yield kube
    finally:
        kube.close()


State = Annotated[Backend, Depends(backend)]
Caller = Annotated[Kube, Depends(caller)]
