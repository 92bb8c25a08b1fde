"""The CRD's own CEL rules (x-kubernetes-validations) in a real API server, with no webhook running.

Each rejection must name the field; each acceptance covers a manifest upstream admits only after
its mutating webhook filled in defaults (which we never run), so the rules must work on the
un-defaulted object. Updates exercise the transition rules (immutability) against the stored
object.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from airunway_operator.api import constants, crdgen, markers
from tests.conftest import Cluster
from tests.support import manifests, wait_for

G, V, PLURAL = constants.GROUP, constants.VERSION, constants.MODELDEPLOYMENT_PLURAL
SAMPLES = [(f, d) for f, d in manifests("config/samples") if d["kind"] == "ModelDeployment"]
MODEL_ID = "Qwen/Qwen2.5-0.5B-Instruct"
VOLUMES = "spec.model.storage.volumes"

Body = dict[str, Any]


def md(name: str = "m", **spec: Any) -> Body:
    """A minimal valid ModelDeployment, with top-level spec fields replaced by `spec`."""
    body: Body = {
        "apiVersion": f"{G}/{V}",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": {"id": MODEL_ID}, "engine": {"type": "vllm"}},
    }
    body["spec"].update(spec)
    return body


def storage(*volumes: Body, name: str = "m", model_id: str = MODEL_ID) -> Body:
    """A ModelDeployment named `name` mounting `volumes`."""
    return md(name, model={"id": model_id, "storage": {"volumes": list(volumes)}})


def disaggregated(**scaling: Any) -> Body:
    return md(serving={"mode": "disaggregated"}, scaling=scaling)


def engine(**fields: Any) -> Body:
    return md(engine={"type": "vllm", **fields})


def create(cluster: Cluster, namespace: str, body: Body) -> Body:
    stored: Body = cluster.custom.create_namespaced_custom_object(
        G, V, namespace, PLURAL, copy.deepcopy(body), field_validation="Strict"
    )
    return stored


def replace(cluster: Cluster, namespace: str, body: Body) -> Body:
    stored: Body = cluster.custom.replace_namespaced_custom_object(
        G, V, namespace, PLURAL, body["metadata"]["name"], body, field_validation="Strict"
    )
    return stored


def rejection(call: Callable[[], Any]) -> str:
    with pytest.raises(ApiException) as caught:
        call()
    assert caught.value.status == 422, caught.value.body
    return str(json.loads(caught.value.body)["message"])


def _mocker_disaggregated() -> Body:
    body = disaggregated(prefill={"replicas": 1}, decode={"replicas": 1})
    body["metadata"]["annotations"] = {
        constants.ANNOTATION_DYNAMO_TEST_BACKEND: constants.DYNAMO_TEST_BACKEND_MOCKER
    }
    body["spec"]["provider"] = {"name": "dynamo"}
    return body


LONG_238 = "m" * 238  # + "-model-download" is exactly 253 characters
LONG_239 = "m" * 239  # + "-model-download" is 254 characters
LONG_200 = "m" * 200


# -- create: accepted ---------------------------------------------------------------------------------

ACCEPTED = [
    pytest.param(
        _mocker_disaggregated(), id="dynamo mocker disaggregated without GPU counts (rule 14 is webhook-only)"
    ),
    pytest.param(
        disaggregated(prefill={"replicas": 1}, decode={"replicas": 2}),
        id="disaggregated without GPU counts (rule 14 is webhook-only)",
    ),
    pytest.param(
        md(
            serving={"mode": "disaggregated"},
            resources={"gpu": {"count": 0}, "memory": "8Gi"},
            scaling={"prefill": {"gpu": {"count": 1}}, "decode": {"gpu": {"count": 1}}},
        ),
        id="disaggregated with resources.gpu.count 0",
    ),
    pytest.param(
        md(resources={"gpu": {"count": 2}}, scaling={"prefill": {}, "decode": {}}),
        id="aggregated ignores prefill/decode",
    ),
    pytest.param(md(model={"source": "custom"}), id="custom source without model.id"),
    pytest.param(md(image="img:1", engine={"type": "vllm", "image": "img:1"}), id="same image twice"),
    pytest.param(
        md(image="img:1", engine={"type": "vllm", "image": ""}), id="legacy image with empty engine image"
    ),
    pytest.param(
        engine(
            args={"max-model-len": "4096", "": "x"},
            extraArgs=[
                "--tensor-parallel-size=2",
                "-max-model-len",
                "---max-model-len",
                "--",
                "--=1",
                "max-model-len",
                "--max-model-lens",
                "--enable-lora",
            ],
        ),
        id="extraArgs that name no args key",
    ),
    pytest.param(
        engine(extraArgs=["--chat-template=" + "x" * (16384 - 16)] + ["--y"] * 255),
        id="extraArgs at their bounds (256 tokens, 16384 characters)",
    ),
    pytest.param(
        storage({"name": "cache", "purpose": "modelCache", "size": "100Gi"}),
        id="managed modelCache without claimName, mountPath or accessMode",
    ),
    pytest.param(
        storage({"name": "cache", "purpose": "modelCache", "claimName": "existing"}),
        id="modelCache on an existing claim without mountPath",
    ),
    pytest.param(
        storage(
            {"name": "cache", "purpose": "modelCache", "size": "10Gi"},
            {"name": "compiled", "purpose": "compilationCache", "size": "1Gi"},
        ),
        id="both cache purposes at their default paths",
    ),
    pytest.param(
        storage({"name": "cache", "size": "10Gi", "claimName": "m-cache", "mountPath": "/data"}),
        id="claimName equal to <name>-<volume> with size",
    ),
    pytest.param(
        storage({"name": "cache", "size": "10Gi", "claimName": "", "mountPath": "/data"}),
        id="empty claimName with size",
    ),
    pytest.param(
        storage({"name": "cache", "size": 10737418240, "mountPath": "/data"}),
        id="integer size",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "c", "mountPath": "/data", "storageClassName": None}),
        id="null storageClassName without size",
    ),
    pytest.param(
        storage(
            {"name": "a", "claimName": "a", "mountPath": "/devices"},
            {"name": "b", "claimName": "b", "mountPath": "/run/x"},
            {"name": "c", "claimName": "c", "mountPath": "/var/runner"},
            {"name": "d", "claimName": "d", "mountPath": "/etcetera"},
        ),
        id="paths that only look like system paths",
    ),
    pytest.param(
        storage({"name": "weights", "claimName": "w", "mountPath": "/model-cache"}),
        id="custom volume at /model-cache without a modelCache volume",
    ),
    pytest.param(
        storage({"name": "cache", "purpose": "modelCache", "size": "1Gi"}, name=LONG_238),
        id="download Job name of exactly 253 characters",
    ),
    pytest.param(
        storage({"name": "cache", "size": "1Gi", "mountPath": "/a"}, name="m" * 247),
        id="claim name of exactly 253 characters",
    ),
    pytest.param(
        storage(
            {"name": "cache", "purpose": "modelCache", "claimName": "c", "readOnly": True}, name=LONG_239
        ),
        id="long name without a managed modelCache",
    ),
    pytest.param(
        md(resources={"gpu": {"count": 64}, "cpu": "512", "memory": "4Ti"}, scaling={"replicas": 32}),
        id="ceilings are inclusive",
    ),
    pytest.param(
        md(resources={"cpu": "512000m", "memory": "4096Gi"}),
        id="ceilings compare quantities",
    ),
    pytest.param(md(resources={"cpu": "", "memory": ""}), id="empty quantities"),
    pytest.param(
        md(
            serving={"mode": "disaggregated"},
            scaling={
                "prefill": {"replicas": 32, "gpu": {"count": 64}, "memory": "4Ti"},
                "decode": {"replicas": 32, "gpu": {"count": 64}, "memory": "4Ti"},
            },
        ),
        id="component ceilings are inclusive",
    ),
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_accepted_on_create(cluster: Cluster, namespace: str, body: Body) -> None:
    create(cluster, namespace, body)


@pytest.mark.parametrize(("filename", "body"), SAMPLES, ids=[f for f, _ in SAMPLES])
def test_samples_are_accepted_and_stay_updatable(
    cluster: Cluster, namespace: str, filename: str, body: Body
) -> None:
    stored = create(cluster, namespace, body)
    stored["metadata"].setdefault("labels", {})["touched"] = "yes"
    replace(cluster, namespace, stored)


def test_generate_name_is_checked_like_a_name(cluster: Cluster, namespace: str) -> None:
    body = storage({"name": "cache", "purpose": "modelCache", "size": "1Gi"})
    body["metadata"] = {"generateName": "gen-"}
    assert create(cluster, namespace, body)["metadata"]["name"].startswith("gen-")
    body["metadata"] = {"generateName": "gen.x-"}
    assert "metadata.name" in rejection(lambda: create(cluster, namespace, body))


# -- create: rejected ---------------------------------------------------------------------------------


def _scaling(**fields: Any) -> Body:
    return md(scaling=fields)


REJECTED = [
    pytest.param(md("qwen.small"), "metadata.name", "must not contain dots", id="dotted name"),
    pytest.param(
        md(image="a:1", engine={"type": "vllm", "image": "b:1"}),
        "spec.engine.image",
        "conflicts",
        id="conflicting images",
    ),
    pytest.param(
        engine(args={"max-model-len": "4096"}, extraArgs=["--max-model-len=8192"]),
        "spec.engine.extraArgs",
        "--max-model-len=8192",
        id="flag in args and extraArgs (--flag=value)",
    ),
    pytest.param(
        engine(args={"enforce-eager": ""}, extraArgs=["--port", "8000", "--enforce-eager"]),
        "spec.engine.extraArgs",
        "--enforce-eager",
        id="flag in args and extraArgs (--flag)",
    ),
    pytest.param(
        engine(args={"max-model-len": "1"}, extraArgs=["-- max-model-len =2"]),
        "spec.engine.extraArgs",
        "launch flag",
        id="flag name is trimmed",
    ),
    pytest.param(md(model={}), "spec.model.id", "required when source is huggingface", id="no model.id"),
    pytest.param(
        md(model={"id": "", "source": "huggingface"}), "spec.model.id", "Required value", id="empty model.id"
    ),
    pytest.param(
        md(
            serving={"mode": "disaggregated"},
            resources={"gpu": {"count": 1}},
            scaling={"prefill": {"gpu": {"count": 1}}, "decode": {"gpu": {"count": 1}}},
        ),
        "spec.resources.gpu",
        "disaggregated",
        id="disaggregated with resources.gpu",
    ),
    pytest.param(
        md(serving={"mode": "disaggregated"}),
        "spec.scaling",
        "Required value",
        id="disaggregated without scaling",
    ),
    pytest.param(
        disaggregated(decode={"gpu": {"count": 1}}), "spec.scaling.prefill", "Required value", id="no prefill"
    ),
    pytest.param(
        disaggregated(prefill={"gpu": {"count": 1}}), "spec.scaling.decode", "Required value", id="no decode"
    ),
    pytest.param(
        storage({"name": "v", "mountPath": "/data"}),
        f"{VOLUMES}[0].claimName",
        "Required value",
        id="claimName required without size",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "", "mountPath": "/data"}),
        f"{VOLUMES}[0].claimName",
        "Required value",
        id="empty claimName without size",
    ),
    pytest.param(
        storage({"name": "v", "size": "1Gi", "readOnly": True, "mountPath": "/data"}),
        f"{VOLUMES}[0].readOnly",
        "write access",
        id="readOnly with size",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "c", "mountPath": "/data", "accessMode": "ReadWriteOnce"}),
        f"{VOLUMES}[0].accessMode",
        "only applies when size is set",
        id="accessMode without size",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "c", "mountPath": "/data", "storageClassName": ""}),
        f"{VOLUMES}[0].storageClassName",
        "only applies when size is set",
        id="empty storageClassName without size",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "c", "mountPath": "data"}),
        f"{VOLUMES}[0].mountPath",
        "absolute",
        id="relative mountPath",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "c"}),
        f"{VOLUMES}[0].mountPath",
        "required when purpose is custom",
        id="custom volume without mountPath",
    ),
    pytest.param(
        storage({"name": "v", "claimName": "c", "purpose": "custom", "mountPath": ""}),
        f"{VOLUMES}[0].mountPath",
        "required when purpose is custom",
        id="custom volume with empty mountPath",
    ),
    *[
        pytest.param(
            storage({"name": "v", "claimName": "c", "mountPath": path}),
            f"{VOLUMES}[0].mountPath",
            f"system path {system}",
            id=f"system path {path}",
        )
        for path, system in [
            ("/dev", "/dev"),
            ("/etc/ssl", "/etc"),
            ("/var/run/secrets", "/var/run"),
            ("/proc", "/proc"),
            ("/sys/fs", "/sys"),
        ]
    ],
    pytest.param(
        storage(
            {"name": "a", "purpose": "modelCache", "claimName": "a"},
            {"name": "b", "purpose": "modelCache", "claimName": "b", "mountPath": "/b"},
        ),
        VOLUMES,
        "at most one volume with purpose modelCache",
        id="two modelCache volumes",
    ),
    pytest.param(
        storage(
            {"name": "a", "purpose": "compilationCache", "size": "1Gi"},
            {"name": "b", "purpose": "compilationCache", "claimName": "b", "mountPath": "/b"},
        ),
        VOLUMES,
        "at most one volume with purpose compilationCache",
        id="two compilationCache volumes",
    ),
    pytest.param(
        storage(
            {"name": "a", "claimName": "a", "mountPath": "/data"},
            {"name": "b", "claimName": "b", "mountPath": "/data"},
        ),
        VOLUMES,
        "duplicate mount path /data",
        id="duplicate mountPath",
    ),
    pytest.param(
        storage(
            {"name": "cache", "purpose": "modelCache", "size": "1Gi"},
            {"name": "weights", "claimName": "w", "mountPath": "/model-cache"},
        ),
        VOLUMES,
        "duplicate mount path /model-cache",
        id="duplicate of a default mountPath",
    ),
    pytest.param(
        storage(
            {"name": "a", "claimName": "shared", "mountPath": "/a"},
            {"name": "b", "claimName": "shared", "mountPath": "/b"},
        ),
        VOLUMES,
        "duplicate claim name shared",
        id="duplicate claimName",
    ),
    pytest.param(
        storage(
            {"name": "a", "size": "1Gi", "mountPath": "/a"},
            {"name": "b", "claimName": "m-a", "mountPath": "/b"},
        ),
        VOLUMES,
        "duplicate claim name m-a",
        id="claimName equal to another volume's derived claim",
    ),
    pytest.param(
        storage({"name": "cache", "size": "1Gi", "claimName": "other", "mountPath": "/a"}),
        VOLUMES,
        "claimName must be omitted or equal m-cache",
        id="claimName differs from <name>-<volume> with size",
    ),
    pytest.param(
        storage({"name": "v" * 60, "size": "1Gi", "mountPath": "/a"}, name=LONG_200),
        VOLUMES,
        "exceeds 253 characters",
        id="derived claim name too long",
    ),
    pytest.param(
        storage({"name": "cache", "purpose": "modelCache", "size": "1Gi"}, name=LONG_239),
        "metadata.name",
        "download Job name",
        id="download Job name too long",
    ),
    pytest.param(
        storage({"name": "v", "size": "1e1.5", "mountPath": "/a"}),
        f"{VOLUMES}[0].size",
        "resource quantity",
        id="size that matches the pattern but does not parse",
    ),
    pytest.param(md(resources={"gpu": {"count": 65}}), "spec.resources.gpu.count", "64", id="gpu ceiling"),
    pytest.param(_scaling(replicas=33), "spec.scaling.replicas", "32", id="replica ceiling"),
    pytest.param(
        _scaling(prefill={"replicas": 33}),
        "spec.scaling.prefill.replicas",
        "32",
        id="prefill replica ceiling",
    ),
    pytest.param(
        _scaling(decode={"gpu": {"count": 65}}),
        "spec.scaling.decode.gpu.count",
        "64",
        id="decode gpu ceiling",
    ),
    pytest.param(md(resources={"cpu": "513"}), "spec.resources.cpu", "512", id="cpu ceiling"),
    pytest.param(
        md(resources={"cpu": "512001m"}), "spec.resources.cpu", "512", id="cpu ceiling in millicores"
    ),
    pytest.param(
        md(resources={"cpu": "four"}), "spec.resources.cpu", "invalid resource quantity", id="cpu unparsable"
    ),
    pytest.param(md(resources={"memory": "4097Gi"}), "spec.resources.memory", "4Ti", id="memory ceiling"),
    pytest.param(
        md(resources={"memory": "lots"}), "spec.resources.memory", "invalid", id="memory unparsable"
    ),
    pytest.param(
        _scaling(prefill={"memory": "5Ti"}), "spec.scaling.prefill.memory", "4Ti", id="prefill memory ceiling"
    ),
    pytest.param(
        _scaling(decode={"memory": "1x"}),
        "spec.scaling.decode.memory",
        "invalid",
        id="decode memory unparsable",
    ),
    pytest.param(
        engine(extraArgs=["--x"] * 257), "spec.engine.extraArgs", "257", id="extraArgs bound (256 tokens)"
    ),
    pytest.param(
        engine(extraArgs=["x" * 16385]), "spec.engine.extraArgs[0]", "Too long", id="extraArgs token bound"
    ),
]


@pytest.mark.parametrize(("body", "field", "detail"), REJECTED)
def test_rejected_on_create_naming_the_field(
    cluster: Cluster, namespace: str, body: Body, field: str, detail: str
) -> None:
    message = rejection(lambda: create(cluster, namespace, body))
    assert f"{field}:" in message, message
    assert detail in message, message


def test_one_rejection_reports_every_broken_rule(cluster: Cluster, namespace: str) -> None:
    body = storage({"name": "v", "mountPath": "etc"}, name="a.b")
    body["spec"]["image"] = "x:1"
    body["spec"]["engine"]["image"] = "y:1"
    message = rejection(lambda: create(cluster, namespace, body))
    for field in ("metadata.name", "spec.engine.image", f"{VOLUMES}[0].claimName", f"{VOLUMES}[0].mountPath"):
        assert f"{field}:" in message, message


# -- update: transition rules -------------------------------------------------------------------------

Edit = Callable[[Body], None]


def _set(path: str, value: Any) -> Edit:
    """An edit setting spec.<path> (dotted; `volumes.N` indexes the storage volumes) to `value`."""

    def edit(body: Body) -> None:
        node: Any = body["spec"]
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if value is _DELETE:
            del node[keys[-1]]
        elif isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value

    return edit


_DELETE = object()
_MANAGED = {"name": "cache", "purpose": "modelCache", "size": "1Gi"}
_UNMANAGED = {"name": "data", "claimName": "datasets", "mountPath": "/data", "readOnly": True}
_VOL0 = "model.storage.volumes.0"


def _with_volumes(*volumes: Body) -> Body:
    return storage(*[copy.deepcopy(v) for v in volumes])


def _append_volume(volume: Body) -> Edit:
    return lambda body: body["spec"]["model"]["storage"]["volumes"].append(copy.deepcopy(volume))


def _drop_volume(name: str) -> Edit:
    def edit(body: Body) -> None:
        volumes = body["spec"]["model"]["storage"]["volumes"]
        volumes[:] = [v for v in volumes if v["name"] != name]

    return edit


UPDATES_ACCEPTED = [
    pytest.param(md(engine={}), _set("engine.type", "sglang"), id="engine.type set from empty"),
    pytest.param(md(), _set("engine.type", _DELETE), id="engine.type cleared"),
    pytest.param(md(provider={"name": "kaito"}), _set("provider.name", _DELETE), id="provider.name cleared"),
    pytest.param(md(), _set("provider.name", "vllm"), id="provider.name set, nothing selected yet"),
    pytest.param(md(), _set("serving", {"mode": "aggregated"}), id="absent serving mode spelled out"),
    pytest.param(
        md(model={"id": "a", "source": "huggingface"}),
        _set("model.source", _DELETE),
        id="default source spelled out",
    ),
    pytest.param(_with_volumes(_MANAGED), _set(f"{_VOL0}.size", "1024Mi"), id="size 1Gi to 1024Mi"),
    pytest.param(_with_volumes(_MANAGED), _set(f"{_VOL0}.size", 1073741824), id="size 1Gi to its integer"),
    pytest.param(
        _with_volumes({**_MANAGED, "size": 1024}), _set(f"{_VOL0}.size", "1Ki"), id="size integer to 1Ki"
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.accessMode", "ReadWriteMany"),
        id="defaulted accessMode spelled out",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.mountPath", "/model-cache"),
        id="defaulted mountPath spelled out",
    ),
    pytest.param(
        _with_volumes(_MANAGED), _set(f"{_VOL0}.claimName", "m-cache"), id="derived claimName spelled out"
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _append_volume({"name": "more", "size": "1Gi", "mountPath": "/more"}),
        id="managed volume added",
    ),
    pytest.param(_with_volumes(_MANAGED, _UNMANAGED), _drop_volume("data"), id="unmanaged volume removed"),
    pytest.param(
        _with_volumes(_UNMANAGED), _set(f"{_VOL0}.claimName", "other"), id="unmanaged volume edited"
    ),
    pytest.param(
        _with_volumes({"name": "data", "claimName": "m-data", "mountPath": "/data"}),
        _set(f"{_VOL0}.size", "5Gi"),
        id="unmanaged volume becomes managed",
    ),
]


@pytest.mark.parametrize(("body", "edit"), UPDATES_ACCEPTED)
def test_accepted_on_update(cluster: Cluster, namespace: str, body: Body, edit: Edit) -> None:
    stored = create(cluster, namespace, body)
    edit(stored)
    replace(cluster, namespace, stored)


UPDATES_REJECTED = [
    pytest.param(
        md(), _set("model.id", "Qwen/Qwen3-8B"), "spec.model.id", "immutable", id="model.id changed"
    ),
    pytest.param(
        md(model={"id": "a", "source": "custom"}),
        _set("model.id", _DELETE),
        "spec.model.id",
        "immutable",
        id="model.id removed",
    ),
    pytest.param(
        md(model={"source": "custom"}),
        _set("model.id", "a"),
        "spec.model.id",
        "immutable",
        id="model.id added",
    ),
    pytest.param(
        md(), _set("model.source", "custom"), "spec.model.source", "immutable", id="model.source changed"
    ),
    pytest.param(
        md(), _set("engine.type", "sglang"), "spec.engine.type", "immutable", id="engine.type changed"
    ),
    pytest.param(
        md(),
        _set("serving", {"mode": "disaggregated"}),
        "spec.serving.mode",
        "immutable",
        id="absent (aggregated) to disaggregated",
    ),
    pytest.param(
        md(provider={"name": "kaito"}),
        _set("provider.name", "vllm"),
        "spec.provider.name",
        "bound to provider kaito",
        id="provider.name changed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set("model.storage", _DELETE),
        f"{VOLUMES}:",
        "managed storage volume cache is immutable and cannot be removed",
        id="storage with a managed volume dropped",
    ),
    pytest.param(
        _with_volumes(_MANAGED, _UNMANAGED),
        _drop_volume("cache"),
        f"{VOLUMES}:",
        "managed storage volume cache is immutable and cannot be removed",
        id="managed volume removed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.name", "renamed"),
        f"{VOLUMES}:",
        "is immutable and cannot be removed",
        id="managed volume renamed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.size", "2Gi"),
        f"{VOLUMES}[0].size",
        "is immutable",
        id="managed size changed",
    ),
    pytest.param(
        _with_volumes({**_MANAGED, "size": 1024}),
        _set(f"{_VOL0}.size", 2048),
        f"{VOLUMES}[0].size",
        "is immutable",
        id="managed integer size changed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.size", 1000000000),
        f"{VOLUMES}[0].size",
        "is immutable",
        id="managed size 1Gi to 1G",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.size", "1.5"),
        f"{VOLUMES}[0].size",
        "is immutable",
        id="managed size to a fraction",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.mountPath", "/weights"),
        f"{VOLUMES}[0]:",
        "immutable",
        id="managed mountPath changed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.accessMode", "ReadWriteOnce"),
        f"{VOLUMES}[0]:",
        "immutable",
        id="managed accessMode changed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.storageClassName", ""),
        f"{VOLUMES}[0]:",
        "immutable",
        id="managed storageClassName set",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        _set(f"{_VOL0}.purpose", "compilationCache"),
        f"{VOLUMES}[0]:",
        "immutable",
        id="managed purpose changed",
    ),
    pytest.param(
        _with_volumes(_MANAGED),
        lambda body: body["spec"]["model"]["storage"]["volumes"].__setitem__(
            0, {"name": "cache", "purpose": "modelCache", "claimName": "m-cache"}
        ),
        f"{VOLUMES}[0]:",
        "immutable",
        id="managed volume loses its size",
    ),
]


@pytest.mark.parametrize(("body", "edit", "field", "detail"), UPDATES_REJECTED)
def test_rejected_on_update_naming_the_field(
    cluster: Cluster, namespace: str, body: Body, edit: Edit, field: str, detail: str
) -> None:
    stored = create(cluster, namespace, body)
    edit(stored)
    message = rejection(lambda: replace(cluster, namespace, stored))
    assert field.rstrip(":") + ":" in message, message
    assert detail in message, message


def test_provider_selected_in_status_pins_spec_provider(cluster: Cluster, namespace: str) -> None:
    create(cluster, namespace, md("auto"))
    stored = cluster.custom.patch_namespaced_custom_object_status(
        G, V, namespace, PLURAL, "auto", {"status": {"provider": {"name": "kaito"}}}
    )
    other = copy.deepcopy(stored)
    other["spec"]["provider"] = {"name": "vllm"}
    message = rejection(lambda: replace(cluster, namespace, other))
    assert "spec.provider.name:" in message
    assert "bound to provider kaito" in message
    same = copy.deepcopy(stored)
    same["spec"]["provider"] = {"name": "kaito"}
    replace(cluster, namespace, same)


def test_status_writes_are_not_blocked_by_spec_rules(cluster: Cluster, namespace: str) -> None:
    stored = create(cluster, namespace, md("s", provider={"name": "vllm"}))
    stored["status"] = {"provider": {"name": "kaito"}, "phase": "Pending"}
    cluster.custom.replace_namespaced_custom_object_status(G, V, namespace, PLURAL, "s", stored)


# -- objects stored before the rules existed ------------------------------------------------------------


def _without_rules(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_rules(v) for k, v in node.items() if k != markers.VALIDATIONS}
    if isinstance(node, list):
        return [_without_rules(v) for v in node]
    return node


@pytest.fixture
def scratch_kind(cluster: Cluster) -> Iterator[tuple[str, Callable[[bool], None]]]:
    """The ModelDeployment CRD under a throw-away group; the callable installs it with or without rules."""
    group = f"cel{uuid.uuid4().hex[:8]}.airunway.test"
    crd = crdgen.build_crd(crdgen.MODELDEPLOYMENT)
    crd["metadata"]["name"] = f"{PLURAL}.{group}"
    crd["spec"]["group"] = group
    crd["spec"]["names"].pop("shortNames")
    crd["spec"]["names"].pop("categories")
    api = client.ApiextensionsV1Api(cluster.api_client)

    def install(with_rules: bool) -> None:
        body = copy.deepcopy(crd) if with_rules else _without_rules(crd)
        try:
            current = api.read_custom_resource_definition(crd["metadata"]["name"])
        except ApiException as err:
            if err.status != 404:
                raise
            api.create_custom_resource_definition(body)
        else:
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            api.replace_custom_resource_definition(crd["metadata"]["name"], body)

    try:
        yield group, install
    finally:
        api.delete_custom_resource_definition(crd["metadata"]["name"])


def test_objects_stored_before_the_rules_stay_updatable_and_deletable(
    cluster: Cluster, namespace: str, scratch_kind: tuple[str, Callable[[bool], None]]
) -> None:
    group, install = scratch_kind
    api_version = f"{group}/{V}"
    legacy = storage(
        {"name": "a", "purpose": "modelCache", "size": "1Gi", "claimName": "not-derived"},
        {"name": "b", "purpose": "modelCache", "claimName": "c", "mountPath": "/etc/cache"},
        name="legacy.dotted",
    )
    legacy["apiVersion"] = api_version
    legacy["metadata"]["finalizers"] = ["airunway.ai/test"]
    legacy["spec"]["image"] = "a:1"
    legacy["spec"]["engine"]["image"] = "b:1"

    def call(verb: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(cluster.custom, f"{verb}_namespaced_custom_object")(
            group, V, namespace, PLURAL, *args, **kwargs
        )

    install(False)
    wait_for(lambda: _creatable(call, legacy), 30, "the rule-less scratch CRD to serve")
    install(True)
    probe = {**md("probe.dotted"), "apiVersion": api_version}
    wait_for(lambda: _rejected(call, probe), 30, "the scratch CRD rules to take effect")

    stored = call("get", "legacy.dotted")
    stored["metadata"]["labels"] = {"touched": "yes"}
    stored = call("replace", "legacy.dotted", stored)  # unchanged invalid values are only warned about
    stored["status"] = {"phase": "Failed"}
    stored = cluster.custom.replace_namespaced_custom_object_status(
        group, V, namespace, PLURAL, "legacy.dotted", stored
    )

    changed = copy.deepcopy(stored)
    changed["spec"]["model"]["storage"]["volumes"][1]["mountPath"] = "/etc/other"
    message = rejection(lambda: call("replace", "legacy.dotted", changed))
    assert f"{VOLUMES}[1].mountPath:" in message, message

    call("delete", "legacy.dotted")
    stored = call("get", "legacy.dotted")
    stored["metadata"]["finalizers"] = []
    call("replace", "legacy.dotted", stored)


def _creatable(call: Callable[..., Any], body: Body) -> bool:
    try:
        call("create", copy.deepcopy(body))
    except ApiException as err:
        if err.status == 404:  # the new resource is not served yet
            return False
        raise
    return True


def _rejected(call: Callable[..., Any], body: Body) -> bool:
    try:
        call("create", copy.deepcopy(body), dry_run="All")
    except ApiException as err:
        return bool(err.status == 422)
    return False
