"""Storage rules of SPEC-core §2.3.1, judged on effective (upstream-defaulted) values."""

from __future__ import annotations

from typing import Any

import pytest

from airunway_operator.validation import admission, lookup
from airunway_operator.validation.result import ErrorKind
from tests.unit.validation.builders import assert_rejected, md

LONG = "a" * 200


def volumes(*items: dict[str, Any], name: str = "qwen") -> dict[str, Any]:
    return md(name=name, model__storage__volumes=list(items))


def managed(name: str = "cache", **fields: Any) -> dict[str, Any]:
    return {"name": name, "purpose": "modelCache", "size": "100Gi", **fields}


def existing(
    name: str = "data", claim: str = "shared", mount: str = "/data", **fields: Any
) -> dict[str, Any]:
    return {"name": name, "claimName": claim, "mountPath": mount, **fields}


REJECTED = [
    pytest.param(
        volumes({"name": "data", "mountPath": "/data"}),
        "spec.model.storage.volumes[0].claimName",
        ErrorKind.REQUIRED,
        ("size is not set",),
        id="a volume without size needs a claim name",
    ),
    pytest.param(
        volumes(existing(claimName="")),
        "spec.model.storage.volumes[0].claimName",
        ErrorKind.REQUIRED,
        ("claimName",),
        id="an empty claim name counts as missing",
    ),
    pytest.param(
        volumes(managed(readOnly=True)),
        "spec.model.storage.volumes[0].readOnly",
        ErrorKind.INVALID,
        ("size is set", "writable"),
        id="a managed volume cannot be read-only",
    ),
    pytest.param(
        volumes(managed(claimName="mine")),
        "spec.model.storage.volumes[0].claimName",
        ErrorKind.INVALID,
        ("'qwen-cache'",),
        id="a managed volume cannot name its own claim",
    ),
    pytest.param(
        volumes(managed(name="b" * 60), name=LONG),
        "spec.model.storage.volumes[0].name",
        ErrorKind.TOO_LONG,
        ("261", "253"),
        id="a derived claim name over 253 characters is rejected",
    ),
    pytest.param(
        volumes(existing(accessMode="ReadWriteOnce")),
        "spec.model.storage.volumes[0].accessMode",
        ErrorKind.FORBIDDEN,
        ("only applies when size is set",),
        id="an access mode without size is rejected",
    ),
    pytest.param(
        volumes(managed(accessMode="ReadWriteSometimes")),
        "spec.model.storage.volumes[0].accessMode",
        ErrorKind.NOT_SUPPORTED,
        ("ReadWriteOncePod",),
        id="an unknown access mode is not supported",
    ),
    pytest.param(
        volumes(existing(storageClassName="")),
        "spec.model.storage.volumes[0].storageClassName",
        ErrorKind.FORBIDDEN,
        ("only applies when size is set",),
        id="an empty storage class without size is rejected",
    ),
    pytest.param(
        volumes(existing(), existing(claim="other", mount="/other")),
        "spec.model.storage.volumes[1].name",
        ErrorKind.DUPLICATE,
        ("'data'",),
        id="a repeated volume name is rejected",
    ),
    pytest.param(
        volumes(existing(), existing(name="more", claim="other")),
        "spec.model.storage.volumes[1].mountPath",
        ErrorKind.DUPLICATE,
        ("'/data'",),
        id="a repeated mount path is rejected",
    ),
    pytest.param(
        volumes(managed(), existing(mount="/model-cache")),
        "spec.model.storage.volumes[1].mountPath",
        ErrorKind.DUPLICATE,
        ("'/model-cache'",),
        id="a mount path equal to a defaulted one is rejected",
    ),
    pytest.param(
        volumes(existing(), existing(name="more", mount="/more")),
        "spec.model.storage.volumes[1].claimName",
        ErrorKind.DUPLICATE,
        ("'shared'",),
        id="a repeated claim name is rejected",
    ),
    pytest.param(
        volumes(managed(), existing(claim="qwen-cache")),
        "spec.model.storage.volumes[1].claimName",
        ErrorKind.DUPLICATE,
        ("'qwen-cache'",),
        id="a claim name equal to a derived one is rejected",
    ),
    pytest.param(
        volumes(existing(mount="data")),
        "spec.model.storage.volumes[0].mountPath",
        ErrorKind.INVALID,
        ("absolute",),
        id="a relative mount path is rejected",
    ),
    pytest.param(
        volumes({"name": "data", "claimName": "shared", "purpose": "custom"}),
        "spec.model.storage.volumes[0].mountPath",
        ErrorKind.REQUIRED,
        ("purpose is custom",),
        id="a custom volume needs a mount path",
    ),
    pytest.param(
        volumes({"name": "data", "claimName": "shared", "mountPath": ""}),
        "spec.model.storage.volumes[0].mountPath",
        ErrorKind.REQUIRED,
        ("purpose is custom",),
        id="a volume without purpose is custom and needs a mount path",
    ),
    *[
        pytest.param(
            volumes(existing(mount=mount)),
            "spec.model.storage.volumes[0].mountPath",
            ErrorKind.INVALID,
            (f"system path {system}",),
            id=f"mounting at {mount} is rejected",
        )
        for mount, system in [
            ("/dev", "/dev"),
            ("/proc/self", "/proc"),
            ("/sys", "/sys"),
            ("/etc/ssl", "/etc"),
            ("/var/run/secrets", "/var/run"),
        ]
    ],
    pytest.param(
        volumes(managed(), managed(name="second", mountPath="/second")),
        "spec.model.storage.volumes",
        ErrorKind.INVALID,
        ("2 volumes with purpose modelCache",),
        id="two model caches are rejected",
    ),
    pytest.param(
        volumes(
            {"name": "one", "purpose": "compilationCache", "size": "1Gi"},
            {"name": "two", "purpose": "compilationCache", "size": "1Gi", "mountPath": "/two"},
        ),
        "spec.model.storage.volumes",
        ErrorKind.INVALID,
        ("compilationCache",),
        id="two compilation caches are rejected",
    ),
    pytest.param(
        volumes(managed(name="m"), name="c" * 240),
        "metadata.name",
        ErrorKind.TOO_LONG,
        ("255", "download"),
        id="a download Job name over 253 characters is rejected",
    ),
    pytest.param(
        volumes(managed(size="1e1.5")),
        "spec.model.storage.volumes[0].size",
        ErrorKind.INVALID,
        ("resource quantity",),
        id="a size Kubernetes cannot parse is rejected",
    ),
]


@pytest.mark.parametrize(("body", "path", "kind", "words"), REJECTED)
def test_rejects(body: dict[str, Any], path: str, kind: ErrorKind, words: tuple[str, ...]):
    assert_rejected(admission.validate_create(body, lookup.NOT_LOOKED_UP), path, kind, *words)


def test_a_system_path_reports_only_its_first_match():
    verdict = admission.validate_create(volumes(existing(mount="/var/run/x")), lookup.NOT_LOOKED_UP)
    assert len(verdict.errors) == 1


ACCEPTED = [
    pytest.param(volumes(managed()), id="a managed volume gets its claim name and mount path by default"),
    pytest.param(
        volumes(managed(claimName="qwen-cache")), id="a managed volume may spell out its derived claim"
    ),
    pytest.param(
        volumes(managed(storageClassName="", accessMode="ReadWriteOnce")),
        id="storage class and access mode are allowed with size",
    ),
    pytest.param(
        volumes({"name": "cc", "purpose": "compilationCache", "size": 10}),
        id="an integer size is a quantity",
    ),
    pytest.param(volumes(existing(readOnly=True)), id="an existing claim may be read-only"),
    pytest.param(
        volumes(
            *(
                existing(name=f"d{i}", claim=f"c{i}", mount=p)
                for i, p in enumerate(["/devices", "/run", "/dev2"])
            )
        ),
        id="paths that only share a prefix with system paths are allowed",
    ),
    pytest.param(
        volumes(managed(name="b" * 52), name=LONG), id="a derived claim name of 253 characters is allowed"
    ),
    pytest.param(
        volumes(
            {"name": "m", "purpose": "modelCache", "claimName": "weights", "readOnly": True}, name="c" * 240
        ),
        id="a read-only model cache needs no download Job, so a long name is fine",
    ),
    pytest.param(
        volumes(managed(name="m"), name="c" * 238), id="a download Job name of 253 characters is allowed"
    ),
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_accepts(body: dict[str, Any]):
    verdict = admission.validate_create(body, lookup.NOT_LOOKED_UP)
    assert verdict.allowed, verdict.message()
