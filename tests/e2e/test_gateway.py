"""End to end on the local plane: the Gateway API Inference Extension integration with the vendored
Gateway API and Inference Extension CRDs.

One operator (core and Direct vLLM) routes to a test Gateway that the operator is configured with;
these tests play the gateway controller by writing the Gateway's address and the route's status.
Every object the operator writes passes strict field validation against the real schemas (it
writes with fieldValidation=Strict, so an unknown field would fail the pass and show in status).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from airunway_operator.api import constants
from tests.conftest import Cluster
from tests.operator_process import Operator
from tests.support import MODEL_ID, get_or_none, ignore_missing, vllm_md, wait_for

G, V, MD = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
GW_GROUP, GW_VERSION = "gateway.networking.k8s.io", "v1"
POOL_GROUP, POOL_VERSION = "inference.networking.k8s.io", "v1"
GATEWAY = "inference-gw"
ADDRESS = "10.0.0.7"
EPP_KINDS = ("ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Deployment", "Service")


@pytest.fixture(scope="module")
def gateway_namespace(cluster: Cluster) -> Iterator[str]:
    name = f"gw-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespace({"metadata": {"name": name, "labels": {"airunway.ai/test": "true"}}})
    gateway = {
        "apiVersion": f"{GW_GROUP}/{GW_VERSION}",
        "kind": "Gateway",
        "metadata": {"name": GATEWAY},
        "spec": {
            "gatewayClassName": "test",
            "listeners": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                }
            ],
        },
    }
    cluster.custom.create_namespaced_custom_object(GW_GROUP, GW_VERSION, name, "gateways", gateway)
    cluster.custom.patch_namespaced_custom_object_status(
        GW_GROUP,
        GW_VERSION,
        name,
        "gateways",
        GATEWAY,
        {"status": {"addresses": [{"type": "IPAddress", "value": ADDRESS}]}},
    )
    yield name
    ignore_missing(cluster.core.delete_namespace, name)


@pytest.fixture(scope="module")
def team(cluster: Cluster) -> Iterator[str]:
    """The namespace of the models routed to the Gateway from elsewhere."""
    name = f"team-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespace({"metadata": {"name": name, "labels": {"airunway.ai/test": "true"}}})
    yield name
    ignore_missing(cluster.core.delete_namespace, name)


@pytest.fixture(scope="module")
def operator(
    cluster: Cluster, gateway_namespace: str, team: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Operator]:
    """Watches only this module's namespaces: other tests' ModelDeployments on the plane are not
    routed to this Gateway."""
    log = tmp_path_factory.mktemp("gateway") / "operator.log"
    env = {"AIRUNWAY_GATEWAY_NAME": GATEWAY, "AIRUNWAY_GATEWAY_NAMESPACE": gateway_namespace}
    scope = ("--namespace", gateway_namespace, "--namespace", team)
    op = Operator(cluster.kubeconfig, log, "--providers", "vllm", "--no-webhook", *scope, env=env)
    op.wait_healthy()
    yield op
    op.kill()


# ------------------------------------------------------------------ helpers


def md_body(name: str, **gateway: Any) -> dict[str, Any]:
    body = vllm_md(name)
    if gateway:
        body["spec"]["gateway"] = gateway
    return body


def get_md(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.custom.get_namespaced_custom_object(G, V, namespace, MD, name)
    return result


def gateway_ready(cluster: Cluster, namespace: str, name: str) -> tuple[str, str] | None:
    status = get_md(cluster, namespace, name).get("status") or {}
    for condition in status.get("conditions") or ():
        if condition["type"] == "GatewayReady":
            return condition["status"], condition["reason"]
    return None


def wait_ready(cluster: Cluster, namespace: str, name: str, expected: tuple[str, str], what: str) -> None:
    wait_for(lambda: gateway_ready(cluster, namespace, name) == expected, 90, what)


def route(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    return get_or_none(
        cluster.custom.get_namespaced_custom_object, GW_GROUP, GW_VERSION, namespace, "httproutes", name
    )


def pool(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    return get_or_none(
        cluster.custom.get_namespaced_custom_object,
        POOL_GROUP,
        POOL_VERSION,
        namespace,
        "inferencepools",
        name,
    )


def epp_objects(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    epp = f"{name}-epp"
    rbac = cluster.custom
    readers = {
        "ServiceAccount": lambda: cluster.core.read_namespaced_service_account(epp, namespace),
        "Role": lambda: rbac.get_namespaced_custom_object(
            "rbac.authorization.k8s.io", "v1", namespace, "roles", epp
        ),
        "RoleBinding": lambda: rbac.get_namespaced_custom_object(
            "rbac.authorization.k8s.io", "v1", namespace, "rolebindings", epp
        ),
        "ConfigMap": lambda: cluster.core.read_namespaced_config_map(epp, namespace),
        "Deployment": lambda: cluster.apps.read_namespaced_deployment(epp, namespace),
        "Service": lambda: cluster.core.read_namespaced_service(epp, namespace),
    }
    found = {}
    for kind, read in readers.items():
        value = get_or_none(read)
        if value is not None:
            found[kind] = value
    return found


def listeners(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    gateway = cluster.custom.get_namespaced_custom_object(
        GW_GROUP, GW_VERSION, namespace, "gateways", GATEWAY
    )
    return list(gateway["spec"]["listeners"])


def set_route_accepted(
    cluster: Cluster, namespace: str, name: str, gateway_namespace: str, accepted: bool
) -> None:
    condition = {
        "type": "Accepted",
        "status": "True" if accepted else "False",
        "reason": "Accepted" if accepted else "NotAllowedByListeners",
        "message": "accepted" if accepted else "no listener admits routes from this namespace",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "observedGeneration": 1,
    }
    parent = {
        "parentRef": {"group": GW_GROUP, "kind": "Gateway", "name": GATEWAY, "namespace": gateway_namespace},
        "controllerName": "example.com/test-gateway",
        "conditions": [condition],
    }
    cluster.custom.patch_namespaced_custom_object_status(
        GW_GROUP, GW_VERSION, namespace, "httproutes", name, {"status": {"parents": [parent]}}
    )


# ------------------------------------------------------------------ tests


def test_same_namespace_route_status_refusal_and_disable(
    cluster: Cluster, gateway_namespace: str, operator: Operator
) -> None:
    ns = gateway_namespace
    user_route = {
        "apiVersion": f"{GW_GROUP}/{GW_VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": "user-route"},
        "spec": {"parentRefs": [{"name": GATEWAY}]},
    }
    cluster.custom.create_namespaced_custom_object(GW_GROUP, GW_VERSION, ns, "httproutes", user_route)
    cluster.custom.create_namespaced_custom_object(G, V, ns, MD, md_body("llama"))
    wait_ready(cluster, ns, "llama", ("True", "GatewayConfigured"), "GatewayReady=True")

    status = get_md(cluster, ns, "llama")["status"]
    assert status["phase"] == "Running"
    assert status["gateway"] == {"endpoint": ADDRESS, "modelName": MODEL_ID, "gatewayNamespace": ns}
    md = get_md(cluster, ns, "llama")
    assert md["metadata"]["annotations"]["airunway.ai/httproute-created"] == "true"

    live_pool = pool(cluster, ns, "llama")
    assert live_pool is not None
    assert live_pool["spec"]["selector"]["matchLabels"] == {"airunway.ai/model-deployment": "llama"}
    assert live_pool["spec"]["targetPorts"] == [{"number": 8000}]
    assert live_pool["spec"]["endpointPickerRef"]["name"] == "llama-epp"
    assert live_pool["spec"]["endpointPickerRef"]["port"] == {"number": 9002}
    assert live_pool["metadata"]["ownerReferences"][0]["uid"] == md["metadata"]["uid"]

    live_route = route(cluster, ns, "llama")
    assert live_route is not None
    assert live_route["spec"]["parentRefs"][0]["name"] == GATEWAY
    assert live_route["spec"]["parentRefs"][0]["namespace"] == ns
    rule = live_route["spec"]["rules"][0]
    assert rule["matches"][0]["headers"] == [
        {"type": "Exact", "name": "X-Gateway-Model-Name", "value": MODEL_ID}
    ]
    assert rule["backendRefs"][0]["kind"] == "InferencePool"
    assert rule["backendRefs"][0]["name"] == "llama"
    assert rule["timeouts"]["request"] == "300s"

    found = epp_objects(cluster, ns, "llama")
    assert set(found) == set(EPP_KINDS)
    deployment = found["Deployment"]
    container = deployment.spec.template.spec.containers[0]
    assert container.image == "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
    assert deployment.spec.strategy.type == "Recreate"
    assert deployment.spec.template.spec.service_account_name == "llama-epp"
    assert found["Service"].spec.ports[0].port == 9002
    assert found["Service"].spec.ports[0].app_protocol == "kubernetes.io/h2c"
    assert "default-plugins.yaml" in found["ConfigMap"].data
    # the Gateway in the same namespace needs no allowedRoutes change
    assert listeners(cluster, ns)[0]["allowedRoutes"]["namespaces"] == {"from": "Same"}

    # the Gateway refuses the route: GatewayReady says so with the Gateway's own reason
    set_route_accepted(cluster, ns, "llama", ns, accepted=False)
    wait_ready(cluster, ns, "llama", ("False", "NotAllowedByListeners"), "the Gateway's refusal")
    set_route_accepted(cluster, ns, "llama", ns, accepted=True)
    wait_ready(cluster, ns, "llama", ("True", "GatewayConfigured"), "the Gateway's acceptance")

    # a hand edit of the pool is reverted
    cluster.custom.patch_namespaced_custom_object(
        POOL_GROUP, POOL_VERSION, ns, "inferencepools", "llama", {"spec": {"targetPorts": [{"number": 9999}]}}
    )
    wait_for(
        lambda: (pool(cluster, ns, "llama") or {}).get("spec", {}).get("targetPorts") == [{"number": 8000}],
        60,
        "the pool's drift to be corrected",
    )

    # disabling removes exactly what the operator created
    cluster.custom.patch_namespaced_custom_object(
        G, V, ns, MD, "llama", {"spec": {"gateway": {"enabled": False}}}
    )
    wait_ready(cluster, ns, "llama", ("False", "GatewayDisabled"), "GatewayReady=GatewayDisabled")
    md = get_md(cluster, ns, "llama")
    assert "gateway" not in md["status"]
    assert "airunway.ai/httproute-created" not in (md["metadata"].get("annotations") or {})
    wait_for(lambda: pool(cluster, ns, "llama") is None, 30, "the pool to be deleted")
    assert route(cluster, ns, "llama") is None
    assert epp_objects(cluster, ns, "llama") == {}
    assert route(cluster, ns, "user-route") is not None
    assert cluster.apps.read_namespaced_deployment("llama", ns).metadata.name == "llama"
    assert cluster.core.read_namespaced_service("llama", ns).metadata.name == "llama"
    log = operator.output()
    assert f"Created InferencePool {ns}/llama for ModelDeployment llama" in log
    assert f"Deleted HTTPRoute {ns}/llama of ModelDeployment llama" in log

    # enabling again routes it again
    cluster.custom.patch_namespaced_custom_object(
        G, V, ns, MD, "llama", {"spec": {"gateway": {"enabled": True}}}
    )
    wait_ready(cluster, ns, "llama", ("True", "GatewayConfigured"), "GatewayReady=True again")
    assert route(cluster, ns, "llama") is not None
    cluster.custom.delete_namespaced_custom_object(G, V, ns, MD, "llama")
    wait_for(lambda: get_or_none(get_md, cluster, ns, "llama") is None, 60, "the ModelDeployment to go")


def test_cross_namespace_gateway_admits_and_releases_the_namespace(
    cluster: Cluster, team: str, gateway_namespace: str, operator: Operator
) -> None:
    namespace = team
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md_body("mistral", modelName="chat"))
    wait_ready(cluster, namespace, "mistral", ("True", "GatewayConfigured"), "GatewayReady=True")
    status = get_md(cluster, namespace, "mistral")["status"]
    assert status["gateway"] == {
        "endpoint": ADDRESS,
        "modelName": "chat",
        "gatewayNamespace": gateway_namespace,
    }
    live_route = route(cluster, namespace, "mistral")
    assert live_route is not None
    assert live_route["spec"]["parentRefs"][0] == {
        "group": GW_GROUP,
        "kind": "Gateway",
        "name": GATEWAY,
        "namespace": gateway_namespace,
    }
    assert live_route["spec"]["rules"][0]["matches"][0]["headers"][0]["value"] == "chat"
    selector = listeners(cluster, gateway_namespace)[0]["allowedRoutes"]["namespaces"]
    assert selector == {
        "from": "Selector",
        "selector": {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "In",
                    "values": sorted([namespace, gateway_namespace]),
                }
            ]
        },
    }

    # the namespace's last routed ModelDeployment goes: the Gateway no longer admits it
    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "mistral")
    wait_for(
        lambda: listeners(cluster, gateway_namespace)[0]["allowedRoutes"]["namespaces"] == {"from": "Same"},
        90,
        "the namespace to be removed from the Gateway",
    )


def test_provider_managed_pool_in_another_namespace(
    cluster: Cluster, team: str, gateway_namespace: str, operator: Operator
) -> None:
    """A provider whose capabilities say it manages the pool: the operator waits for that pool,
    routes to it across namespaces with a ReferenceGrant, restarts the body-based router once and
    creates no pool or Endpoint Picker of its own."""
    namespace = team
    provider = f"managed-{uuid.uuid4().hex[:6]}"
    ipc = {
        "apiVersion": f"{G}/{V}",
        "kind": "InferenceProviderConfig",
        "metadata": {"name": provider},
        "spec": {
            "capabilities": {
                "engines": [
                    {
                        "name": "vllm",
                        "servingModes": ["aggregated"],
                        "gpuSupport": True,
                        "gateway": {
                            "managesInferencePool": True,
                            "inferencePoolNamePattern": "{name}-pool",
                            "inferencePoolNamespace": gateway_namespace,
                        },
                    }
                ]
            }
        },
    }
    cluster.custom.create_cluster_custom_object(G, V, "inferenceproviderconfigs", ipc)
    bbr = {
        "metadata": {"name": "body-based-router"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "bbr"}},
            "template": {
                "metadata": {"labels": {"app": "bbr"}},
                "spec": {"containers": [{"name": "bbr", "image": "registry.example/bbr:1"}]},
            },
        },
    }
    cluster.apps.create_namespaced_deployment(gateway_namespace, bbr)
    try:
        body = md_body("phi")
        body["spec"]["provider"] = {"name": provider}
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
        wait_for(
            lambda: (get_md(cluster, namespace, "phi").get("status") or {}).get("provider"),
            60,
            "the provider to be recorded",
        )
        # No provider controller runs here: play it and report the deployment running.
        cluster.custom.patch_namespaced_custom_object_status(
            G, V, namespace, MD, "phi", {"status": {"phase": "Running"}}
        )
        pool_body = {
            "apiVersion": f"{POOL_GROUP}/{POOL_VERSION}",
            "kind": "InferencePool",
            "metadata": {"name": "phi-pool"},
            "spec": {
                "selector": {"matchLabels": {"app": "phi"}},
                "targetPorts": [{"number": 8000}],
                "endpointPickerRef": {"name": "phi-pool-epp", "port": {"number": 9002}},
            },
        }
        cluster.custom.create_namespaced_custom_object(
            POOL_GROUP, POOL_VERSION, gateway_namespace, "inferencepools", pool_body
        )
        wait_ready(cluster, namespace, "phi", ("True", "GatewayConfigured"), "GatewayReady=True")
        live_route = route(cluster, namespace, "phi")
        assert live_route is not None
        backend = live_route["spec"]["rules"][0]["backendRefs"][0]
        assert (backend["name"], backend["namespace"]) == ("phi-pool", gateway_namespace)
        grant = cluster.custom.get_namespaced_custom_object(
            GW_GROUP, "v1beta1", gateway_namespace, "referencegrants", "phi-pool-referencegrant"
        )
        assert grant["spec"]["from"] == [{"group": GW_GROUP, "kind": "HTTPRoute", "namespace": namespace}]
        assert grant["spec"]["to"] == [{"group": POOL_GROUP, "kind": "InferencePool", "name": "phi-pool"}]
        assert grant["metadata"]["ownerReferences"][0]["name"] == "phi-pool"
        md = get_md(cluster, namespace, "phi")
        assert md["metadata"]["annotations"]["airunway.ai/bbr-restarted"] == "true"
        template = cluster.apps.read_namespaced_deployment(
            "body-based-router", gateway_namespace
        ).spec.template
        assert "airunway.ai/restartedAt" in template.metadata.annotations
        assert pool(cluster, namespace, "phi") is None
        assert epp_objects(cluster, namespace, "phi") == {}
    finally:
        ignore_missing(cluster.custom.delete_namespaced_custom_object, G, V, namespace, MD, "phi")
        ignore_missing(cluster.apps.delete_namespaced_deployment, "body-based-router", gateway_namespace)
        ignore_missing(
            cluster.custom.delete_namespaced_custom_object,
            POOL_GROUP,
            POOL_VERSION,
            gateway_namespace,
            "inferencepools",
            "phi-pool",
        )
        ignore_missing(
            cluster.custom.delete_cluster_custom_object, G, V, "inferenceproviderconfigs", provider
        )


def test_a_foreign_route_is_reported_not_taken_over_and_a_user_route_is_only_read(
    cluster: Cluster, team: str, gateway_namespace: str, operator: Operator
) -> None:
    namespace = team
    foreign = {
        "apiVersion": f"{GW_GROUP}/{GW_VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": "gemma"},
        "spec": {"parentRefs": [{"name": "elsewhere"}]},
    }
    cluster.custom.create_namespaced_custom_object(GW_GROUP, GW_VERSION, namespace, "httproutes", foreign)
    cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, md_body("gemma"))
    wait_ready(cluster, namespace, "gemma", ("False", "HTTPRouteFailed"), "HTTPRouteFailed")
    condition = next(
        c for c in get_md(cluster, namespace, "gemma")["status"]["conditions"] if c["type"] == "GatewayReady"
    )
    assert "is not owned by ModelDeployment gemma" in condition["message"]
    live = route(cluster, namespace, "gemma")
    assert live is not None
    assert live["spec"]["parentRefs"] == [{"group": GW_GROUP, "kind": "Gateway", "name": "elsewhere"}]

    # pointing the ModelDeployment at the user's route: the pool is made, the route only read
    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "gemma", {"spec": {"gateway": {"httpRouteRef": "gemma"}}}
    )
    set_route_accepted(cluster, namespace, "gemma", gateway_namespace, accepted=False)
    wait_ready(
        cluster, namespace, "gemma", ("False", "NotAllowedByListeners"), "the verdict on the user route"
    )
    set_route_accepted(cluster, namespace, "gemma", gateway_namespace, accepted=True)
    wait_ready(cluster, namespace, "gemma", ("True", "GatewayConfigured"), "GatewayReady=True")
    assert pool(cluster, namespace, "gemma") is not None
    live = route(cluster, namespace, "gemma")
    assert live is not None
    assert live["spec"]["parentRefs"] == [{"group": GW_GROUP, "kind": "Gateway", "name": "elsewhere"}]

    # disabling leaves the user's route alone
    cluster.custom.patch_namespaced_custom_object(
        G, V, namespace, MD, "gemma", {"spec": {"gateway": {"enabled": False}}}
    )
    wait_ready(cluster, namespace, "gemma", ("False", "GatewayDisabled"), "GatewayDisabled")
    wait_for(lambda: pool(cluster, namespace, "gemma") is None, 30, "the pool to be deleted")
    assert route(cluster, namespace, "gemma") is not None
    cluster.custom.delete_namespaced_custom_object(G, V, namespace, MD, "gemma")
    wait_for(
        lambda: get_or_none(get_md, cluster, namespace, "gemma") is None, 60, "the ModelDeployment to go"
    )


def test_every_rendered_object_passes_strict_validation(cluster: Cluster, team: str) -> None:
    """Each kind the integration writes, rendered for a sample ModelDeployment, is accepted by the
    API server's dry run with strict field validation (unknown or duplicate fields are errors)."""
    from airunway_operator.api.modeldeployment import ModelDeployment
    from airunway_operator.api.providerconfig import GatewayCapabilities
    from airunway_operator.gateway import epp, render
    from airunway_operator.gateway.capabilities import PoolLocation
    from airunway_operator.gateway.gateways import GatewayRef

    body = md_body("strict")
    body["metadata"].update(namespace=team, uid="00000000-0000-0000-0000-000000000001")
    md = ModelDeployment.parse(body)
    pool_body = render.render_pool(md, 8000, 9002)
    manifests = [
        pool_body,
        render.render_route(md, GatewayRef(GATEWAY, team, team), PoolLocation("strict", team), "m"),
        render.render_reference_grant(md, {**pool_body, "metadata": {**pool_body["metadata"], "uid": "u"}}),
        *epp.render_stack(md, GatewayCapabilities(), image="registry.example/epp:1", port=9002),
    ]
    for manifest in manifests:
        kind = render.kind_of(manifest)
        prefix = "/api/v1" if kind.api_version == "v1" else f"/apis/{kind.api_version}"
        url = (
            f"{cluster.api_client.configuration.host}{prefix}/namespaces/{team}/{kind.plural}"
            "?dryRun=All&fieldValidation=Strict"
        )
        response = cluster.api_client.call_api(
            "POST", url, header_params={"Content-Type": "application/json"}, body=manifest
        )
        response.read()
        assert response.status == 201, (kind.kind, response.data)


def test_the_operator_writes_with_strict_field_validation(operator: Operator) -> None:
    """Every create of a kind only the gateway integration writes asked for strict validation."""
    plurals = ("inferencepools", "httproutes", "referencegrants", "roles", "rolebindings", "serviceaccounts")
    creates = [
        line
        for line in operator.output().splitlines()
        if '"POST ' in line and any(f"/{plural}?" in line for plural in plurals)
    ]
    assert creates
    assert all("fieldValidation=Strict" in line and '" 201 ' in line for line in creates), creates


def test_the_providers_endpoint_picker_capability_is_used_and_followed(
    cluster: Cluster, team: str, operator: Operator
) -> None:
    """A provider's `endpointPicker` image and configuration replace the defaults, and editing the
    InferenceProviderConfig updates the picker of its running ModelDeployments."""
    namespace = team
    provider = f"picker-{uuid.uuid4().hex[:6]}"

    def config(image: str) -> dict[str, Any]:
        picker = {"image": image, "configData": "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"}
        engine = {"name": "vllm", "servingModes": ["aggregated"], "gateway": {"endpointPicker": picker}}
        return {"capabilities": {"engines": [engine]}}

    ipc = {
        "apiVersion": f"{G}/{V}",
        "kind": "InferenceProviderConfig",
        "metadata": {"name": provider},
        "spec": config("registry.example/epp:1"),
    }
    cluster.custom.create_cluster_custom_object(G, V, "inferenceproviderconfigs", ipc)
    try:
        body = md_body("olmo")
        body["spec"]["provider"] = {"name": provider}
        cluster.custom.create_namespaced_custom_object(G, V, namespace, MD, body)
        wait_for(
            lambda: (get_md(cluster, namespace, "olmo").get("status") or {}).get("provider"),
            60,
            "the provider to be recorded",
        )
        cluster.custom.patch_namespaced_custom_object_status(
            G, V, namespace, MD, "olmo", {"status": {"phase": "Running"}}
        )
        wait_ready(cluster, namespace, "olmo", ("True", "GatewayConfigured"), "GatewayReady=True")

        def picker_image() -> str:
            deployment = cluster.apps.read_namespaced_deployment("olmo-epp", namespace)
            return str(deployment.spec.template.spec.containers[0].image)

        assert picker_image() == "registry.example/epp:1"
        config_map = cluster.core.read_namespaced_config_map("olmo-epp", namespace)
        assert (
            config_map.data["default-plugins.yaml"] == "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
        )

        cluster.custom.patch_cluster_custom_object(
            G, V, "inferenceproviderconfigs", provider, {"spec": config("registry.example/epp:2")}
        )
        wait_for(lambda: picker_image() == "registry.example/epp:2", 60, "the picker to follow the provider")
    finally:
        ignore_missing(cluster.custom.delete_namespaced_custom_object, G, V, namespace, MD, "olmo")
        ignore_missing(
            cluster.custom.delete_cluster_custom_object, G, V, "inferenceproviderconfigs", provider
        )
