from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from airunway_backend import helm, installation, runtimes, schemas
from airunway_backend.deps import Caller, State
from airunway_backend.kube import Kube
from airunway_operator.api import constants

router = APIRouter(prefix="/installation")


async def _commands(kube: Kube, provider: str) -> list[str]:
    ipc = await kube.provider_config(provider)
    info = runtimes.annotation_json(
        (ipc.get("metadata") or {}).get("annotations") or {}, constants.ANNOTATION_INSTALLATION
    )
    return installation.commands(info if isinstance(info, dict) else {})


def _identity(kube: Kube) -> helm.Identity:
    if kube.token is None:
        return helm.Identity()
    cfg = kube.api.configuration
    return helm.Identity(kube.token, cfg.host, cfg.ssl_ca_cert, not cfg.verify_ssl)


@router.get("/{provider}", response_model=schemas.Installation)
async def installation_commands(provider: str, state: State, kube: Caller) -> dict[str, Any]:
    """The commands that install the provider's upstream components."""
    return {
        "provider": provider,
        "helmAvailable": helm.find_helm(state.config.helm) is not None,
        "commands": await _commands(kube, provider),
    }


@router.post("/{provider}/install", response_model=schemas.InstallResult)
async def install(provider: str, state: State, kube: Caller) -> dict[str, Any]:
    """Run the provider's helm commands when helm is available (as the caller); the others, or all
    of them without helm, are answered for the user to run."""
    commands = await _commands(kube, provider)
    binary = helm.find_helm(state.config.helm)
    runnable = [args for args in map(installation.helm_args, commands) if args is not None]
    answer: dict[str, Any] = {
        "provider": provider,
        "installed": False,
        "helmAvailable": binary is not None,
        "commands": commands,
        "manualCommands": commands
        if binary is None
        else [c for c in commands if installation.helm_args(c) is None],
    }
    if binary is None:
        answer["output"] = "helm is not available to the backend: run these commands yourself"
    elif not runnable:
        answer["output"] = "no helm commands the backend can run: run these commands yourself"
    else:
        answer["installed"], answer["output"] = await helm.run(binary, runnable, _identity(kube))
    return answer
