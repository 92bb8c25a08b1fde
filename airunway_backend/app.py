"""The FastAPI application: /api routers, the API server's errors passed through, the UI's files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from airunway_backend import spa
from airunway_backend.auth import TokenVerdicts
from airunway_backend.config import BackendConfig
from airunway_backend.deps import Backend
from airunway_backend.kube import KubeAccess, KubeError
from airunway_backend.routes import (
    cluster,
    deployments,
    health,
    installation,
    models,
    namespaces,
    runtimes,
    settings,
)


def create_app(config: BackendConfig, access: KubeAccess) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        access.close()

    app = FastAPI(
        title="AI Runway backend",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.backend = Backend(config, access, TokenVerdicts(access.own.token_authenticated))

    @app.exception_handler(KubeError)
    async def kube_error(_: Request, err: KubeError) -> JSONResponse:
        return JSONResponse({"detail": err.detail}, status_code=err.status)

    for module in (health, deployments, namespaces, models, runtimes, installation, settings, cluster):
        app.include_router(module.router, prefix="/api")
    app.include_router(spa.router(config.static_dir))
    return app
