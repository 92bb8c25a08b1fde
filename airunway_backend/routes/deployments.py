from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from airunway_backend import schemas, summaries
from airunway_backend.deps import Caller
from airunway_backend.validation import DeploymentCreate
from airunway_operator.api import constants

router = APIRouter(prefix="/deployments")


@router.get("", response_model=schemas.Summaries)
async def list_deployments(kube: Caller, namespace: str | None = None) -> dict[str, Any]:
    """ModelDeployments in `namespace`, or in every namespace the caller may list."""
    items = await kube.model_deployments(namespace or None)
    views = [summaries.summary(md) for md in items]
    views.sort(key=lambda v: (str(v["namespace"]), str(v["name"])))
    return {"items": views}


@router.post("", status_code=201, response_model=schemas.Created)
async def create_deployment(body: DeploymentCreate, kube: Caller) -> dict[str, Any]:
    """Create a ModelDeployment; the answer carries the admission webhook's warnings, if any."""
    manifest = body.manifest(constants.API_VERSION, constants.MODELDEPLOYMENT_KIND)
    created, warnings = await kube.create_model_deployment(body.namespace, manifest)
    return {**summaries.summary(created), "warnings": warnings}


@router.get("/{namespace}/{name}", response_model=schemas.Detail)
async def get_deployment(namespace: str, name: str, kube: Caller) -> dict[str, Any]:
    md = await kube.model_deployment(namespace, name)
    pods = summaries.owned_pods(await kube.pods(namespace), name)
    return summaries.detail(md, pods, await kube.events(namespace))


@router.get("/{namespace}/{name}/logs", response_model=schemas.Logs)
async def deployment_logs(
    namespace: str,
    name: str,
    kube: Caller,
    pod: str | None = None,
    container: str | None = None,
    tail_lines: Annotated[int, Query(alias="tailLines", ge=1, le=10000)] = 100,
) -> dict[str, Any]:
    """The last lines of one pod's log (the first pod of the deployment unless `pod` names one)."""
    pods = summaries.owned_pods(await kube.pods(namespace), name)
    names = [str(p["metadata"]["name"]) for p in pods]
    if pod is None:
        if not names:
            raise HTTPException(404, f"ModelDeployment {namespace}/{name} has no pods")
        pod = names[0]
    elif pod not in names:
        raise HTTPException(404, f"pod {pod} does not belong to ModelDeployment {namespace}/{name}")
    logs = await kube.pod_log(namespace, pod, container, tail_lines)
    return {"pod": pod, "container": container, "logs": logs}


@router.delete("/{namespace}/{name}", status_code=202, response_model=schemas.Deleted)
async def delete_deployment(namespace: str, name: str, kube: Caller) -> dict[str, bool]:
    await kube.delete_model_deployment(namespace, name)
    return {"deleted": True}
