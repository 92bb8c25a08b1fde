"""Install CustomResourceDefinitions (ours and the vendored third-party ones) and wait until served.

Creates or replaces each CRD through the API server (no client-side apply: several vendored CRDs
exceed the 256 KiB last-applied annotation), then waits for the Established condition.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

REPO = Path(__file__).resolve().parents[2]
OUR_CRDS = REPO / "crds"
THIRDPARTY_CRDS = REPO / "tests" / "thirdparty-crds"


# libyaml's loader parses the multi-megabyte vendored CRDs about ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_LOADER))


def crd_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.yaml") if p.is_file())


def _documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in paths:
        docs += [d for d in load_all(path.read_text()) if d and d.get("kind") == "CustomResourceDefinition"]
    return docs


def _apply(api: client.ApiextensionsV1Api, crd: dict[str, Any]) -> None:
    name = crd["metadata"]["name"]
    try:
        api.create_custom_resource_definition(crd)
    except ApiException as err:
        if err.status != 409:
            raise
        current = api.read_custom_resource_definition(name)
        crd = {**crd, "metadata": {**crd["metadata"], "resourceVersion": current.metadata.resource_version}}
        api.replace_custom_resource_definition(name, crd)


def _established(api: client.ApiextensionsV1Api, name: str) -> bool:
    conditions = api.read_custom_resource_definition(name).status.conditions or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def install(kubeconfig: Path | str | None, paths: Iterable[Path], timeout: float = 60.0) -> list[str]:
    """Create or update every CRD found in `paths`; return their names once all are Established."""
    api_client = config.new_client_from_config(str(kubeconfig) if kubeconfig else None)
    api = client.ApiextensionsV1Api(api_client)
    names = []
    for crd in _documents(paths):
        _apply(api, crd)
        names.append(crd["metadata"]["name"])
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        pending = [n for n in pending if not _established(api, n)]
        if pending and time.monotonic() > deadline:
            raise TimeoutError(f"CRDs not Established after {timeout:.0f}s: {pending}")
        if pending:
            time.sleep(0.2)
    return names


def install_all(kubeconfig: Path | str | None) -> list[str]:
    return install(kubeconfig, crd_files(OUR_CRDS, THIRDPARTY_CRDS))
