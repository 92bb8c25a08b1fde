"""The latest known body of every object the providers render, as the target watches report them.

A provider pass reads its targets here instead of asking the API server: the watches of
`handlers/targets.py` (objects carrying our managed-by label) and the responses of our own writes
feed it, the newer resourceVersion winning, as `ObjectCache` does for ModelDeployments. An object
that is absent here but exists (no label yet, or the watch has not listed it) is found when the
create answers 409 AlreadyExists; the pass then reads it once.

Before the first pass, `prime` lists each target kind once (our label), so a restart finds what
exists without a create that answers 409. Bodies are kept without `metadata.managedFields`:
nothing reads them, and they are often the larger half of an object.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from airunway_operator.kube import errors, objects
from airunway_operator.reconcile.cache import resource_version, slim
from providers.base import TargetKind
from providers.common import MANAGED_BY

logger = logging.getLogger("airunway.startup")

#: (apiVersion, kind, namespace, name)
TargetKey = tuple[str, str, str, str]


def key_of(body: Mapping[str, Any]) -> TargetKey:
    meta = body.get("metadata") or {}
    return (
        str(body.get("apiVersion") or ""),
        str(body.get("kind") or ""),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


class TargetCache:
    def __init__(self) -> None:
        self._bodies: dict[TargetKey, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._bodies)

    def store(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Keep `body` unless a newer one is known; return the newest."""
        key = key_of(body)
        current = self._bodies.get(key)
        if current is None or resource_version(body) >= resource_version(current):
            current = self._bodies[key] = slim(body)
        return current

    def deleted(self, body: Mapping[str, Any]) -> None:
        """A DELETED event: forget the object unless a newer one (re-created since) is known."""
        key = key_of(body)
        current = self._bodies.get(key)
        if current is not None and resource_version(current) <= resource_version(body):
            del self._bodies[key]

    def forget(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        """Our own request found the object gone (404): drop what we believed."""
        self._bodies.pop((api_version, kind, namespace, name), None)

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self._bodies.get((api_version, kind, namespace, name))

    def items(self) -> Iterator[tuple[TargetKey, dict[str, Any]]]:
        return iter(list(self._bodies.items()))


async def prime(
    cache: TargetCache,
    api_client: client.ApiClient,
    kinds: Iterable[TargetKind],
    namespaces: tuple[str, ...] = (),
) -> None:
    """One list per target kind (and watched namespace), so the first passes after a start see
    every object that exists. Best effort: a kind that is not served, or a list that fails, leaves
    the cache to the watches (and a create answering 409 to one read)."""
    seen: set[tuple[str, str]] = set()
    for kind in kinds:
        if (kind.api_version, kind.plural) in seen:
            continue
        seen.add((kind.api_version, kind.plural))
        for namespace in namespaces or (None,):
            try:
                items = await objects.list_labelled(
                    api_client, kind.api_version, kind.plural, namespace, f"{MANAGED_BY}=airunway"
                )
            except ApiException as err:
                if not errors.is_not_found(err):
                    logger.info(f"Could not list {kind.kind} objects at start ({errors.message(err)})")
                continue
            except (HTTPError, OSError) as err:
                logger.info(f"Could not list {kind.kind} objects at start ({type(err).__name__})")
                continue
            for item in items:
                cache.store({**item, "apiVersion": kind.api_version, "kind": kind.kind})
