"""The legacy InferenceProviderConfig migration runner against the real local API server.

Our CRD prunes unknown fields under spec.capabilities, so legacy objects cannot be created under
it. The tests install copies of the CRD under throw-away groups: a permissive copy (unknown fields
kept, engines may be names) holds the legacy forms; swapping it for the strict copy shows what a
cluster upgraded in place really returns. Every throw-away CRD is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants
from airunway_operator.reconcile import migration
from airunway_operator.reconcile.migration import Backoff, MigrationError, Summary
from tests.conftest import Cluster
from tests.controlplane import plane
from tests.support import REPO, wait_for

V, PLURAL = constants.VERSION, constants.PROVIDERCONFIG_PLURAL
LEGACY_GROUP = "migration-test.airunway.ai"
UPGRADE_GROUP = "upgrade.migration-test.airunway.ai"
ABSENT_GROUP = "absent.migration-test.airunway.ai"
QUICK = Backoff(initial=0.05, attempts=3)
GATEWAY = {"managesInferencePool": True, "inferencePoolNamePattern": "{name}-pool"}
LEGACY = {"servingModes": ["aggregated"], "gpuSupport": True, "requiresCRD": False, "gateway": GATEWAY}


def crd_variant(group: str, *, permissive: bool) -> dict[str, Any]:
    """Our InferenceProviderConfig CRD under `group`; permissive keeps legacy capabilities."""
    text = (REPO / "crds" / "airunway.ai_inferenceproviderconfigs.yaml").read_text()
    crd: dict[str, Any] = next(d for d in yaml.safe_load_all(text) if d)
    crd["metadata"] = {"name": f"{PLURAL}.{group}"}
    crd["spec"]["group"] = group
    crd["spec"]["names"].pop("categories", None)
    crd["spec"]["names"].pop("shortNames", None)
    if permissive:
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        capabilities = schema["properties"]["spec"]["properties"]["capabilities"]
        capabilities["x-kubernetes-preserve-unknown-fields"] = True
        # Legacy engines are names; a list-map keyed by name cannot hold them.
        capabilities["properties"]["engines"] = {
            "type": "array",
            "items": {"x-kubernetes-preserve-unknown-fields": True},
        }
    return crd


def apply_crd(cluster: Cluster, crd: dict[str, Any]) -> None:
    api = client.ApiextensionsV1Api(cluster.api_client)
    name = crd["metadata"]["name"]
    try:
        api.create_custom_resource_definition(crd)
    except ApiException as err:
        if err.status != 409:
            raise
        current = api.read_custom_resource_definition(name)
        body = {**crd, "metadata": {**crd["metadata"], "resourceVersion": current.metadata.resource_version}}
        api.replace_custom_resource_definition(name, body)

    def established() -> bool:
        conditions = api.read_custom_resource_definition(name).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for(established, 30, f"CRD {name} Established")


def delete_crd(cluster: Cluster, group: str) -> None:
    try:
        client.ApiextensionsV1Api(cluster.api_client).delete_custom_resource_definition(f"{PLURAL}.{group}")
    except ApiException as err:
        if err.status != 404:
            raise


def ipc(name: str, group: str, capabilities: Any = None, **spec: Any) -> dict[str, Any]:
    if capabilities is not None:
        spec["capabilities"] = capabilities
    return {
        "apiVersion": f"{group}/{V}",
        "kind": constants.PROVIDERCONFIG_KIND,
        "metadata": {"name": name},
        "spec": spec,
    }


def create(cluster: Cluster, group: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create, retrying while a freshly established CRD is not yet served."""
    deadline = time.monotonic() + 15
    while True:
        try:
            created: dict[str, Any] = cluster.custom.create_cluster_custom_object(group, V, PLURAL, body)
            return created
        except ApiException as err:
            if err.status != 404 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stored(cluster: Cluster, group: str, name: str) -> dict[str, Any]:
    body: dict[str, Any] = cluster.custom.get_cluster_custom_object(group, V, PLURAL, name)
    return body


def capabilities(cluster: Cluster, group: str, name: str) -> dict[str, Any]:
    caps: dict[str, Any] = stored(cluster, group, name)["spec"].get("capabilities", {})
    return caps


def run(
    cluster: Cluster, group: str, api_client: client.ApiClient | None = None, backoff: Backoff = QUICK
) -> Summary:
    api_client = api_client or cluster.api_client
    return asyncio.run(migration.migrate_provider_configs(api_client, group=group, backoff=backoff))


@pytest.fixture(scope="module")
def legacy_group(cluster: Cluster) -> Iterator[str]:
    """A permissive throw-away copy of the CRD, deleted (with its objects) after the module."""
    apply_crd(cluster, crd_variant(LEGACY_GROUP, permissive=True))
    yield LEGACY_GROUP
    delete_crd(cluster, LEGACY_GROUP)


@pytest.fixture
def empty_legacy_group(cluster: Cluster, legacy_group: str) -> str:
    for item in cluster.custom.list_cluster_custom_object(legacy_group, V, PLURAL)["items"]:
        cluster.custom.delete_cluster_custom_object(legacy_group, V, PLURAL, item["metadata"]["name"])
    wait_for(
        lambda: not cluster.custom.list_cluster_custom_object(legacy_group, V, PLURAL)["items"],
        30,
        "the throw-away group to be empty",
    )
    return legacy_group


def test_runner_rewrites_every_legacy_form_and_leaves_the_rest(
    cluster: Cluster, empty_legacy_group: str
) -> None:
    g = empty_legacy_group
    rules = [{"condition": "spec.engine.type == 'vllm'", "priority": 5}]
    create(cluster, g, ipc("names", g, {"engines": ["vllm", "sglang"], **LEGACY, "future": "kept"}))
    create(cluster, g, ipc("objects", g, {"engines": [{"name": "vllm", "cpuSupport": True}], **LEGACY}))
    create(cluster, g, ipc("bare", g, {"engines": [], **LEGACY}, selectionRules=rules))
    create(cluster, g, ipc("modern", g, {"engines": [{"name": "vllm", "gpuSupport": True}]}))
    create(cluster, g, ipc("mixed", g, {"engines": ["vllm", {"name": "sglang"}], **LEGACY}))
    create(cluster, g, ipc("empty", g))
    untouched = {
        n: stored(cluster, g, n)["metadata"]["resourceVersion"] for n in ("modern", "mixed", "empty")
    }

    summary = run(cluster, g)

    assert summary == Summary(unchanged=2, cleaned=1, hoisted=1, migrated=1, malformed=1)
    engine = {"gpuSupport": True, "cpuSupport": False, "servingModes": ["aggregated"], "requiresCRD": False}
    assert capabilities(cluster, g, "names") == {
        "engines": [
            {"name": "vllm", **engine, "gateway": GATEWAY},
            {"name": "sglang", **engine, "gateway": GATEWAY},
        ],
        "future": "kept",
    }
    assert capabilities(cluster, g, "objects") == {
        "engines": [{"name": "vllm", **engine, "cpuSupport": True, "gateway": GATEWAY}]
    }
    assert capabilities(cluster, g, "bare") == {"engines": []}
    assert stored(cluster, g, "bare")["spec"]["selectionRules"] == rules
    for name, version in untouched.items():
        assert stored(cluster, g, name)["metadata"]["resourceVersion"] == version, f"{name} was written"


def test_a_second_pass_finds_nothing_and_writes_nothing(cluster: Cluster, empty_legacy_group: str) -> None:
    g = empty_legacy_group
    create(cluster, g, ipc("names", g, {"engines": ["llamacpp"], "cpuSupport": True}))
    assert run(cluster, g) == Summary(migrated=1)
    version = stored(cluster, g, "names")["metadata"]["resourceVersion"]

    assert run(cluster, g) == Summary(unchanged=1)
    assert stored(cluster, g, "names")["metadata"]["resourceVersion"] == version


def test_runner_skips_when_the_crd_is_absent(cluster: Cluster) -> None:
    assert run(cluster, ABSENT_GROUP) == Summary(crd_absent=True)


def test_runner_finds_nothing_to_migrate_under_our_strict_crd(cluster: Cluster) -> None:
    summary = run(cluster, constants.GROUP)

    assert not summary.crd_absent
    assert (summary.cleaned, summary.hoisted, summary.migrated, summary.malformed, summary.failed) == (0,) * 5


def test_a_forbidden_list_stops_without_retrying(cluster: Cluster, legacy_group: str) -> None:
    unprivileged = config.new_client_from_config(str(plane.default_layout().operator_kubeconfig))
    started = time.monotonic()
    try:
        with pytest.raises(MigrationError, match="forbidden"):
            run(cluster, legacy_group, unprivileged, backoff=Backoff(initial=30))
    finally:
        unprivileged.close()
    assert time.monotonic() - started < 10


def test_an_unreachable_api_server_is_retried_then_reported(cluster: Cluster) -> None:
    configuration = client.Configuration()
    configuration.host = "https://127.0.0.1:1"
    configuration.retries = 0
    unreachable = client.ApiClient(configuration)
    try:
        with pytest.raises(MigrationError, match="failed 3 times") as caught:
            run(cluster, LEGACY_GROUP, unreachable)
    finally:
        unreachable.close()
    assert caught.value.__cause__ is not None


# -- what a cluster upgraded in place really shows -----------------------------------------


@pytest.fixture
def upgrade_group(cluster: Cluster) -> Iterator[str]:
    apply_crd(cluster, crd_variant(UPGRADE_GROUP, permissive=True))
    yield UPGRADE_GROUP
    delete_crd(cluster, UPGRADE_GROUP)


def test_legacy_keys_stay_in_etcd_but_are_pruned_on_read_under_the_strict_crd(
    cluster: Cluster, upgrade_group: str
) -> None:
    g = upgrade_group
    create(cluster, g, ipc("names", g, {"engines": ["vllm"], **LEGACY}))
    create(cluster, g, ipc("objects", g, {"engines": [{"name": "vllm"}], **LEGACY}))

    apply_crd(cluster, crd_variant(g, permissive=False))
    wait_for(
        lambda: "gpuSupport" not in capabilities(cluster, g, "objects"), 30, "the strict schema to prune"
    )
    # Engine names survive the read (pruning drops fields, it does not check types)...
    assert capabilities(cluster, g, "names") == {"engines": ["vllm"]}

    summary = run(cluster, g)

    # ...so the names are migrated without the legacy values, which the API server hid.
    assert summary == Summary(unchanged=1, migrated=1)
    assert capabilities(cluster, g, "names") == {
        "engines": [{"name": "vllm", "gpuSupport": False, "cpuSupport": False}]
    }
    # The unwritten object still carries its legacy keys in etcd: a permissive schema shows them again.
    apply_crd(cluster, crd_variant(g, permissive=True))
    wait_for(lambda: "gpuSupport" in capabilities(cluster, g, "objects"), 30, "the permissive schema to show")
    assert capabilities(cluster, g, "objects") == {"engines": [{"name": "vllm"}], **LEGACY}
    assert capabilities(cluster, g, "names") == {
        "engines": [{"name": "vllm", "gpuSupport": False, "cpuSupport": False}]
    }
