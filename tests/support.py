"""Small helpers shared by the cluster tests."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from kubernetes import client, watch

from airunway_operator.api import constants

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]
MODEL_ID = "Qwen/Qwen2.5-0.5B-Instruct"


def vllm_md(
    name: str, *, provider: str = "vllm", model: str = MODEL_ID, replicas: int | None = None
) -> dict[str, Any]:
    """A vLLM ModelDeployment with one GPU: Direct vLLM runs it on a kwok GPU node of the local plane."""
    spec: dict[str, Any] = {
        "model": {"id": model},
        "engine": {"type": "vllm"},
        "provider": {"name": provider},
        "resources": {"gpu": {"count": 1}},
    }
    if replicas is not None:
        spec["scaling"] = {"replicas": replicas}
    return {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": spec,
    }


def ignore_missing(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `call` (a delete, usually); an object already gone (404) is fine."""
    from kubernetes.client.rest import ApiException

    try:
        call(*args, **kwargs)
    except ApiException as err:
        if err.status != 404:
            raise


def get_or_none(get: Callable[..., T], *args: Any) -> T | None:
    """`get(*args)`, or None when the object does not exist (404)."""
    from kubernetes.client.rest import ApiException

    try:
        return get(*args)
    except ApiException as err:
        if err.status == 404:
            return None
        raise


def wait_for(predicate: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def manifests(folder: str) -> list[tuple[str, dict[str, Any]]]:
    """Every document of every YAML file in `folder` (repo-relative), as (file name, body)."""
    docs = []
    for path in sorted((REPO / folder).glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


@contextlib.contextmanager
def recorded_versions(custom: client.CustomObjectsApi, namespace: str) -> Iterator[list[dict[str, Any]]]:
    """Every ModelDeployment body the watch of `namespace` reports while the block runs."""
    seen: list[dict[str, Any]] = []
    stop = threading.Event()

    def record() -> None:
        stream = watch.Watch()
        while not stop.is_set():
            for event in stream.stream(
                custom.list_namespaced_custom_object,
                constants.GROUP,
                constants.VERSION,
                namespace,
                constants.MODELDEPLOYMENT_PLURAL,
                timeout_seconds=2,
            ):
                seen.append(event["object"])

    recorder = threading.Thread(target=record, daemon=True)
    recorder.start()
    try:
        yield seen
    finally:
        stop.set()
        recorder.join(5)


@contextlib.contextmanager
def refusal_policy(
    api_client: client.ApiClient,
    name: str,
    namespace: str,
    rule: dict[str, Any],
    expression: str,
    message: str,
) -> Iterator[Callable[[], None]]:
    """A ValidatingAdmissionPolicy (and its binding to `namespace`) that refuses the requests
    `rule` matches unless `expression` holds, with `message`. Yields a function that lifts the
    refusal (deletes the binding); both objects are gone after the block."""
    api = client.AdmissionregistrationV1Api(api_client)
    api.create_validating_admission_policy(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [rule]},
                "validations": [{"expression": expression, "message": message}],
            },
        }
    )
    api.create_validating_admission_policy_binding(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {
                "policyName": name,
                "validationActions": ["Deny"],
                "matchResources": {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
                },
            },
        }
    )

    def lift() -> None:
        ignore_missing(api.delete_validating_admission_policy_binding, name)

    try:
        yield lift
    finally:
        lift()
        ignore_missing(api.delete_validating_admission_policy, name)


@contextlib.contextmanager
def fresh_namespace(core: client.CoreV1Api, prefix: str = "t-") -> Iterator[str]:
    """A new namespace named `prefix` + random hex, labelled as a test's; deleted after the block
    (without waiting for it to go)."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    core.create_namespace({"metadata": {"name": name, "labels": {"airunway.ai/test": "true"}}})
    try:
        yield name
    finally:
        ignore_missing(core.delete_namespace, name)
