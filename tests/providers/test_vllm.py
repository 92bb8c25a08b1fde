"""Direct vLLM (SPEC-providers §6): golden renders, compatibility, image resolution, status mapping.

Goldens live in tests/providers/golden/vllm/. After a deliberate change, regenerate them with
`AIRUNWAY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/providers/test_vllm.py` and review the diff by eye.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from airunway_operator.api.constants import EngineType, Phase
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.modeldeployment_status import ImageStatus
from providers import common, workloads
from providers.base import ConditionUpdate, Observed, PreStep, ProviderStatus, RenderContext
from providers.vllm import PROVIDER, compatibility, image, render
from tests.providers import builders

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "vllm"
UPDATE_GOLDEN = os.environ.get("AIRUNWAY_UPDATE_GOLDEN") == "1"
HEADER = (
    "# Golden render of {name} (tests/providers/test_vllm.py). Regenerate with "
    "AIRUNWAY_UPDATE_GOLDEN=1 and review by eye.\n"
)
UID = "0b5c7a52-1f6e-4c1b-9f53-6a4a3d1e2f10"
VLLM = RenderContext(engine=EngineType.VLLM)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PINNED = "vllm/vllm-openai@sha256:" + "ab" * 32


def deployment(
    name: str = "qwen",
    annotations: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
    **fields: Any,
) -> ModelDeployment:
    return builders.typed(UID, name, annotations, status, **fields)


def vllm(name: str = "qwen", **fields: Any) -> ModelDeployment:
    """An explicit Direct vLLM deployment (engine vllm, provider vllm)."""
    return deployment(name, provider__name="vllm", engine__type="vllm", **fields)


def sample(file: str) -> ModelDeployment:
    return builders.sample(file, UID)


def rendered(md: ModelDeployment) -> list[dict[str, Any]]:
    """Render as the runtime does: the pre-step (default settings) first, then render."""
    step = PROVIDER.pre_step(md, VLLM)
    assert step.failure is None
    return PROVIDER.render(md, step.context)


def assert_golden(name: str, manifests: list[dict[str, Any]]) -> None:
    path = GOLDEN / f"{name}.yaml"
    if UPDATE_GOLDEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER.format(name=name) + yaml.safe_dump_all(manifests, sort_keys=False))
    assert path.exists(), f"{path} is missing; run with AIRUNWAY_UPDATE_GOLDEN=1 and review it"
    assert list(yaml.safe_load_all(path.read_text())) == manifests


def container(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    [only] = manifests[0]["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


# -- golden renders ------------------------------------------------------------------------------

FIRST_RECIPE = {"airunway.ai/generated-by": "vllm-recipe-resolver", "airunway.ai/recipe.id": "qwen3"}

SCENARIOS = [
    pytest.param("one-gpu-default", vllm(), id="one GPU by admission default, default image"),
    pytest.param(
        "multi-gpu",
        vllm(resources__gpu__count=4, resources__memory="64Gi", resources__cpu="8", scaling__replicas=2),
        id="four GPUs get /dev/shm and tensor parallelism",
    ),
    pytest.param(
        "storage",
        vllm(
            resources__gpu__count=1,
            model__storage__volumes=[
                {"name": "model-cache", "purpose": "modelCache", "size": "100Gi"},
                {"name": "compile-cache", "purpose": "compilationCache", "claimName": "kernels"},
                {"name": "datasets", "claimName": "shared-datasets", "mountPath": "/data", "readOnly": True},
            ],
        ),
        id="storage volumes, mounts and HF_HOME",
    ),
    pytest.param(
        "env-hf-secret",
        vllm(
            resources__gpu__count=1,
            env=[
                {"name": "VLLM_LOGGING_LEVEL", "value": "INFO"},
                {"name": "HF_TOKEN", "value": "user-token-dropped"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {
                    "name": "OFFLINE",
                    "value": "ignored-because-valueFrom-wins",
                    "valueFrom": {"configMapKeyRef": {"name": "runtime", "key": "offline", "optional": True}},
                },
            ],
            secrets__huggingFaceToken="hf-token",
        ),
        id="env with every source and the HF token secret",
    ),
    pytest.param(
        "user-image",
        vllm(
            resources__gpu__count=1,
            engine__image="registry.example.com/ml/vllm:0.9.2-cu128",
            status={"image": {"requested": image.DEFAULT_IMAGE, "resolved": PINNED, "digest": "sha256:ab"}},
        ),
        id="a user image runs verbatim",
    ),
    pytest.param(
        "args-dedupe",
        vllm(
            resources__gpu__count=2,
            model__servedName="qwen",
            engine__contextLength=8192,
            engine__trustRemoteCode=True,
            engine__enforceEager=True,
            engine__args={
                "tensor-parallel-size": "1",
                "gpu-memory-utilization": "0.9",
                "enable-chunked-prefill": "",
            },
            engine__extraArgs=["--max-model-len=4096", "--disable-log-requests", "--served-model-name", "q"],
        ),
        id="user flags replace derived ones; args sorted, extraArgs verbatim",
    ),
    pytest.param(
        "overrides",
        vllm(
            resources__gpu__count=1,
            provider__overrides={
                "spec": {"progressDeadlineSeconds": 1800, "strategy": {"type": "Recreate"}, "paused": None}
            },
        ),
        id="overrides merge into the Deployment only",
    ),
    pytest.param(
        "placement",
        vllm(
            resources__gpu__count=1,
            nodeSelector={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
            tolerations=[
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                {
                    "key": "maintenance",
                    "operator": "Equal",
                    "value": "soon",
                    "effect": "NoExecute",
                    "tolerationSeconds": 60,
                },
            ],
        ),
        id="node selector and tolerations",
    ),
    pytest.param(
        "pod-template",
        vllm(
            resources__gpu__count=1,
            podTemplate__metadata__labels={"team": "ml", "app": "hijack", "airunway.ai/deployment": "hijack"},
            podTemplate__metadata__annotations={"prometheus.io/scrape": "true"},
            annotations=FIRST_RECIPE,
        ),
        id="podTemplate labels and annotations; selector and managed keys win",
    ),
    pytest.param("sample-vllm-gpu", sample("vllm-gpu.yaml"), id="config/samples/vllm-gpu.yaml"),
    pytest.param(
        "sample-pod-customization",
        sample("pod-customization.yaml"),
        id="config/samples/pod-customization.yaml",
    ),
]


@pytest.mark.parametrize(("name", "md"), SCENARIOS)
def test_render_matches_reviewed_golden(name: str, md: ModelDeployment) -> None:
    assert PROVIDER.check_compatibility(md, EngineType.VLLM) is None
    assert_golden(name, rendered(md))


def test_render_of_a_digest_pinned_default_matches_golden() -> None:
    md = vllm(resources__gpu__count=1)
    step = image.resolve(
        md, VLLM, image.ImageResolution.REQUIRED, lambda _: image.ResolvedImage(PINNED, "sha256:ab"), NOW
    )
    assert_golden("resolved-default-image", PROVIDER.render(md, step.context))


def test_golden_folder_holds_exactly_the_scenarios() -> None:
    expected = {p.values[0] for p in SCENARIOS} | {"resolved-default-image"}
    assert {path.stem for path in GOLDEN.glob("*.yaml")} == expected


# -- render details --------------------------------------------------------------------------------


def test_args_follow_upstream_order() -> None:
    md = vllm(
        resources__gpu__count=2,
        model__servedName="q",
        engine__contextLength=4096,
        engine__trustRemoteCode=True,
        engine__enforceEager=True,
        engine__args={"b": "2", "a": ""},
        engine__extraArgs=["--x", "1"],
    )
    assert render.build_args(md) == [
        "--host", "0.0.0.0", "--port", "8000",
        "--model", "Qwen/Qwen3-0.6B",
        "--served-model-name", "q",
        "--max-model-len", "4096",
        "--trust-remote-code",
        "--enforce-eager",
        "--enable-prefix-caching",
        "--tensor-parallel-size", "2",
        "--a", "--b", "2",
        "--x", "1",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("md", "absent"),
    [
        pytest.param(
            vllm(engine__enablePrefixCaching=False),
            "--enable-prefix-caching",
            id="prefix caching false adds nothing",
        ),
        pytest.param(
            vllm(engine__extraArgs=["--no-enable-prefix-caching"]),
            "--enable-prefix-caching",
            id="the negative flag in extraArgs replaces the derived one",
        ),
        pytest.param(
            vllm(engine__args={"model": "/models/qwen"}), "Qwen/Qwen3-0.6B", id="an explicit model flag wins"
        ),
        pytest.param(
            vllm(resources__gpu__count=4, engine__extraArgs=["--tensor-parallel-size=2"]),
            "4",
            id="tensor parallelism from extraArgs wins",
        ),
        pytest.param(
            deployment(provider__name="vllm", resources__gpu__count=1),
            "--enable-prefix-caching",
            id="no engine block means no CRD default",
        ),
    ],
)
def test_derived_flag_is_skipped(md: ModelDeployment, absent: str) -> None:
    assert absent not in render.build_args(md)


@pytest.mark.parametrize(
    ("md", "message"),
    [
        pytest.param(
            vllm(engine__args={"port": "9000"}),
            'engine arg "port" conflicts with Direct vLLM generated networking; Direct vLLM currently '
            "requires host 0.0.0.0 and port 8000 to keep the container, Service, and probes aligned",
            id="port in args",
        ),
        pytest.param(
            vllm(engine__args={"--host=::": ""}),
            'engine arg "--host=::" conflicts',
            id="dashed host key in args",
        ),
        pytest.param(
            vllm(engine__extraArgs=["--port=9000"]),
            'engine extraArg "--port=9000" conflicts',
            id="port in extraArgs",
        ),
        pytest.param(
            vllm(engine__extraArgs=["--host", "::"]),
            'engine extraArg "--host" conflicts',
            id="host in extraArgs",
        ),
        pytest.param(
            vllm(engine__args={"bad key": "1"}),
            'invalid engine arg key "bad key": must contain only alphanumeric characters, hyphens, '
            "and underscores",
            id="invalid arg key",
        ),
        pytest.param(
            vllm(engine__args={"seed": "1"}, engine__extraArgs=["--seed=2"]),
            "spec.engine.extraArgs sets the flag '--seed', which spec.engine.args also sets",
            id="same flag in args and extraArgs (admission backstop)",
        ),
        pytest.param(
            vllm(provider__overrides={"metadata": {"name": "x"}}),
            "spec.provider.overrides.metadata cannot be overridden",
            id="blocked override key",
        ),
    ],
)
def test_render_rejects(md: ModelDeployment, message: str) -> None:
    with pytest.raises(common.RenderError, match="^" + re.escape(message)):
        render.render(md, VLLM)


def test_single_dash_port_is_not_reserved() -> None:
    """Upstream only reads `--key` tokens of extraArgs; `-p` is passed through."""
    assert render.build_args(vllm(engine__extraArgs=["-p", "1"]))[-2:] == ["-p", "1"]


def test_custom_volume_without_path_gets_a_pod_volume_but_no_mount() -> None:
    md = vllm(model__storage__volumes=[{"name": "scratch", "claimName": "scratch"}])
    [deployment_, _] = render.render(md, VLLM)
    assert deployment_["spec"]["template"]["spec"]["volumes"] == [
        {"name": "scratch", "persistentVolumeClaim": {"claimName": "scratch"}}
    ]
    assert "volumeMounts" not in container([deployment_])


def test_user_hf_home_replaces_the_model_cache_one() -> None:
    md = vllm(
        model__storage__volumes=[{"name": "cache", "purpose": "modelCache", "size": "1Gi"}],
        env=[{"name": "HF_HOME", "value": "/elsewhere"}],
    )
    assert container(render.render(md, VLLM))["env"] == [{"name": "HF_HOME", "value": "/elsewhere"}]


def test_memory_only_resources_have_no_gpu_and_no_cpu() -> None:
    assert workloads.container_resources(0, "8Gi", None) == {
        "limits": {"memory": "8Gi"},
        "requests": {"memory": "8Gi"},
    }
    assert workloads.container_resources(0, None, None) is None


def test_gpu_type_never_changes_the_resource_key() -> None:
    md = vllm(resources__gpu__count=1, resources__gpu__type="amd.com/gpu")
    assert container(render.render(md, VLLM))["resources"]["limits"] == {"nvidia.com/gpu": "1"}


@pytest.mark.parametrize(
    ("md", "context", "expected"),
    [
        pytest.param(vllm(image="legacy/vllm:1"), VLLM, "legacy/vllm:1", id="legacy spec.image"),
        pytest.param(vllm(), RenderContext(EngineType.VLLM, image=PINNED), PINNED, id="pre-step choice"),
        pytest.param(
            vllm(status={"image": {"resolved": f"  {PINNED} "}}),
            VLLM,
            PINNED,
            id="recorded resolved image, trimmed",
        ),
        pytest.param(vllm(), VLLM, image.DEFAULT_IMAGE, id="default tag"),
    ],
)
def test_pod_image(md: ModelDeployment, context: RenderContext, expected: str) -> None:
    assert render.pod_image(md, context) == expected


# -- compatibility and admission warnings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "engine", "expected"),
    [
        pytest.param(
            vllm(), EngineType.VLLM, None, id="explicit vllm without resources gets the default GPU"
        ),
        pytest.param(vllm(resources__gpu__count=2), EngineType.VLLM, None, id="two GPUs"),
        pytest.param(
            deployment(engine__type="sglang", resources__gpu__count=1),
            EngineType.SGLANG,
            "vLLM provider only supports vllm engine, got sglang",
            id="sglang",
        ),
        pytest.param(
            vllm(
                serving__mode="disaggregated", scaling__prefill__gpu__count=1, scaling__decode__gpu__count=1
            ),
            EngineType.VLLM,
            "vLLM provider does not support disaggregated serving mode; use spec.serving.mode: aggregated",
            id="disaggregated",
        ),
        pytest.param(
            vllm(resources__gpu__count=0),
            EngineType.VLLM,
            "vLLM provider requires GPU resources (spec.resources.gpu.count > 0)",
            id="explicit zero GPUs",
        ),
        pytest.param(
            vllm(resources__memory="8Gi"),
            EngineType.VLLM,
            "vLLM provider requires GPU resources (spec.resources.gpu.count > 0)",
            id="resources without gpu",
        ),
        pytest.param(
            deployment(provider__name="vllm"),
            EngineType.VLLM,
            "vLLM provider requires GPU resources (spec.resources.gpu.count > 0)",
            id="auto-selected engine gets no GPU default",
        ),
        pytest.param(
            vllm(image="my/vllm:1"),
            EngineType.VLLM,
            "vLLM provider requires GPU resources (spec.resources.gpu.count > 0)",
            id="legacy spec.image suppresses the GPU default",
        ),
    ],
)
def test_compatibility(md: ModelDeployment, engine: EngineType, expected: str | None) -> None:
    assert compatibility.check(md, engine) == expected


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        pytest.param(vllm(resources__gpu__count=1), [], id="defaults warn about nothing"),
        pytest.param(
            vllm(resources__gpu__count=1, resources__gpu__type="amd.com/gpu"),
            ["spec.resources.gpu.type 'amd.com/gpu' is ignored by provider 'vllm'"],
            id="GPU type",
        ),
        pytest.param(
            vllm(engine__enablePrefixCaching=False),
            ["spec.engine.enablePrefixCaching false is ignored by provider 'vllm'"],
            id="prefix caching off",
        ),
        pytest.param(
            vllm(engine__enablePrefixCaching=False, engine__extraArgs=["--no-enable-prefix-caching"]),
            [],
            id="prefix caching off with the explicit flag",
        ),
    ],
)
def test_admission_warnings(md: ModelDeployment, expected: list[str]) -> None:
    warnings = PROVIDER.admission_warnings(md)
    assert len(warnings) == len(expected)
    for warning, start in zip(warnings, expected, strict=True):
        assert warning.startswith(start)


# -- image resolution --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest", "source"),
    [
        pytest.param(image.DEFAULT_IMAGE, "vllm/vllm-openai", "cu130-nightly", "", "nightly", id="default"),
        pytest.param(
            "docker.io/vllm/vllm-openai:nightly-abc",
            "docker.io/vllm/vllm-openai",
            "nightly-abc",
            "",
            "nightly",
            id="docker.io nightly",
        ),
        pytest.param(
            "index.docker.io/vllm/vllm-openai:latest",
            "index.docker.io/vllm/vllm-openai",
            "latest",
            "",
            "stable",
            id="latest is stable",
        ),
        pytest.param(
            "vllm/vllm-openai:v0.9.1",
            "vllm/vllm-openai",
            "v0.9.1",
            "",
            "custom",
            id="a release tag is custom",
        ),
        pytest.param(
            "example.com/x:Launch-2", "example.com/x", "Launch-2", "", "launch", id="launch in any case"
        ),
        pytest.param(
            "localhost:5000/vllm", "localhost:5000/vllm", "", "", "custom", id="registry port is not a tag"
        ),
        pytest.param("repo/img:1@sha256:abc", "repo/img", "1", "sha256:abc", "custom", id="tag and digest"),
        pytest.param(
            "other/vllm-openai:nightly",
            "other/vllm-openai",
            "nightly",
            "",
            "custom",
            id="nightly elsewhere is custom",
        ),
    ],
)
def test_image_reference(text: str, repository: str, tag: str, digest: str, source: str) -> None:
    reference = image.parse_reference(text)
    assert (reference.repository, reference.tag, reference.digest) == (repository, tag, digest)
    assert image.classify(text, reference) == source


def resolver_returning(result: image.ResolvedImage) -> image.Resolver:
    def resolve(requested: str) -> image.ResolvedImage:
        assert requested == image.DEFAULT_IMAGE
        return result

    return resolve


def failing_resolver(requested: str) -> image.ResolvedImage:
    raise image.ImageResolutionError("registry unreachable")


def untouched_resolver(requested: str) -> image.ResolvedImage:
    raise AssertionError(f"the registry must not be asked about {requested}")


def condition(step: PreStep, type_: str) -> ConditionUpdate:
    [found] = [c for c in step.conditions if c.type == type_]
    return found


def run(md: ModelDeployment, mode: str, resolver: image.Resolver = untouched_resolver) -> PreStep:
    step = image.resolve(md, VLLM, image.ImageResolution(mode), resolver, NOW)
    ImageStatus.model_validate(step.status["image"])  # the wire names exist in our status model
    return step


def test_mode_off_uses_the_tag_as_written_without_asking_a_registry() -> None:
    step = run(vllm(), "off")
    assert step.context.image == image.DEFAULT_IMAGE
    assert step.failure is None
    assert step.status["image"] == {
        "requested": image.DEFAULT_IMAGE,
        "resolved": None,
        "repository": "vllm/vllm-openai",
        "tag": "cu130-nightly",
        "digest": None,
        "source": "nightly",
        "createdAt": None,
        "revision": None,
        "age": None,
        "inNightly": True,
        "verified": False,
        "verificationMessage": image.VERIFICATION_NOT_IMPLEMENTED,
        "message": 'Direct vLLM image "vllm/vllm-openai:cu130-nightly" from nightly selection is used as '
        "written: image resolution is off (imageResolution=off), so the tag is not pinned to a digest.",
    }
    assert [(c.type, c.status, c.reason) for c in step.conditions] == [
        ("UnsupportedImage", "False", "SupportedImage"),
        ("ImageResolved", "False", "ResolutionDisabled"),
        ("ImageVerified", "Unknown", "VerificationNotImplemented"),
    ]


def test_mode_off_runs_a_user_tag_as_written_and_says_so() -> None:
    step = run(vllm(engine__image="example.com/vllm:dev"), "off")
    assert step.context == VLLM  # the renderer runs the user image verbatim
    assert step.failure is None
    resolved = condition(step, "ImageResolved")
    assert (resolved.status, resolved.reason) == ("False", "ResolutionDisabled")
    assert resolved.message == (
        'Direct vLLM image "example.com/vllm:dev" from custom selection is used as written: image '
        "resolution is off (imageResolution=off), so the tag is not pinned to a digest."
    )


def test_mode_off_ignores_an_earlier_digest() -> None:
    earlier = {"requested": image.DEFAULT_IMAGE, "resolved": PINNED, "digest": "sha256:ab"}
    step = run(vllm(status={"image": earlier}), "off")
    assert step.context.image == image.DEFAULT_IMAGE
    assert step.status["image"]["digest"] is None
    assert condition(step, "ImageResolved").reason == "ResolutionDisabled"


def test_default_setting_is_best_effort() -> None:
    """D25: without settings the default image is looked up; offline (tests/providers/conftest.py
    refuses every request) the tag runs as written and the pass goes on."""
    step = PROVIDER.pre_step(vllm(), VLLM)
    assert step.failure is None
    assert step.context.image == image.DEFAULT_IMAGE
    resolved = condition(step, "ImageResolved")
    assert (resolved.status, resolved.reason) == ("False", "ImageResolutionFailed")
    assert resolved.message == (
        'Failed to resolve Direct vLLM image "vllm/vllm-openai:cu130-nightly" from nightly selection: '
        'resolve image reference "vllm/vllm-openai:cu130-nightly": GET '
        "https://registry-1.docker.io/v2/vllm/vllm-openai/manifests/cu130-nightly: unit tests reach no "
        "registry (wanted https://registry-1.docker.io/v2/vllm/vllm-openai/manifests/cu130-nightly). "
        "Continuing with the default tag as written; resolution is retried on the next pass."
    )


def test_required_setting_fails_the_default_image_offline() -> None:
    context = RenderContext(EngineType.VLLM, settings={image.SETTING: "required"})
    step = PROVIDER.pre_step(vllm(), context)
    assert step.failure is not None
    assert step.failure.startswith(
        'failed to resolve default vLLM image "vllm/vllm-openai:cu130-nightly": resolve image reference '
    )


@pytest.mark.parametrize("mirror", ["registry.example.com/hub", " registry.example.com/hub/ "])
def test_the_mirror_prefixes_the_default_image_which_stays_nightly(mirror: str) -> None:
    requested = "registry.example.com/hub/vllm/vllm-openai:cu130-nightly"
    seen: list[str] = []

    def resolve(reference: str) -> image.ResolvedImage:
        seen.append(reference)
        return image.ResolvedImage("registry.example.com/hub/vllm/vllm-openai@sha256:ab", "sha256:ab")

    step = image.resolve(vllm(), VLLM, image.ImageResolution.BEST_EFFORT, resolve, NOW, mirror)
    assert seen == [requested]
    assert step.context.image == "registry.example.com/hub/vllm/vllm-openai@sha256:ab"
    assert (step.status["image"]["requested"], step.status["image"]["source"]) == (requested, "nightly")
    assert step.status["image"]["repository"] == "registry.example.com/hub/vllm/vllm-openai"
    assert condition(step, "UnsupportedImage").reason == "SupportedImage"


def test_the_mirror_never_rewrites_a_user_image() -> None:
    md = vllm(engine__image="example.com/vllm:dev")
    step = image.resolve(md, VLLM, image.ImageResolution.OFF, untouched_resolver, NOW, "mirror.example.com")
    assert step.status["image"]["requested"] == "example.com/vllm:dev"
    assert step.context == VLLM


def test_mode_off_with_a_mirror_runs_the_mirrored_tag() -> None:
    context = RenderContext(
        EngineType.VLLM, settings={image.SETTING: "off", image.MIRROR_SETTING: "mirror.example.com"}
    )
    step = PROVIDER.pre_step(vllm(), context)
    assert step.context.image == "mirror.example.com/vllm/vllm-openai:cu130-nightly"
    assert condition(step, "ImageResolved").reason == "ResolutionDisabled"


def test_unknown_setting_names_the_choices() -> None:
    with pytest.raises(
        ValueError,
        match=r"imageResolution \(AIRUNWAY_VLLM_IMAGE_RESOLUTION\) is .always.; choose one of off",
    ):
        PROVIDER.pre_step(
            vllm(), RenderContext(EngineType.VLLM, settings={"AIRUNWAY_VLLM_IMAGE_RESOLUTION": "always"})
        )


@pytest.mark.parametrize("mode", ["best-effort", "required"])
def test_resolution_pins_the_default_image(mode: str) -> None:
    found = image.ResolvedImage(PINNED, "sha256:ab", created_at="2026-03-07T11:00:00Z", revision=" abc123 ")
    step = run(vllm(), mode, resolver_returning(found))
    assert step.context.image == PINNED
    assert {k: step.status["image"][k] for k in ("resolved", "digest", "createdAt", "revision", "age")} == {
        "resolved": PINNED,
        "digest": "sha256:ab",
        "createdAt": "2026-03-07T11:00:00Z",
        "revision": "abc123",
        "age": "3d",
    }
    resolved = condition(step, "ImageResolved")
    assert (resolved.status, resolved.reason) == ("True", "ImageResolved")
    assert (
        resolved.message
        == f'Resolved Direct vLLM image "{image.DEFAULT_IMAGE}" to "{PINNED}" from nightly selection.'
    )


def test_required_mode_fails_the_pass_when_the_default_cannot_be_resolved() -> None:
    step = run(vllm(), "required", failing_resolver)
    assert (
        step.failure
        == 'failed to resolve default vLLM image "vllm/vllm-openai:cu130-nightly": registry unreachable'
    )
    resolved = condition(step, "ImageResolved")
    assert (resolved.status, resolved.reason) == ("False", "ImageResolutionFailed")
    assert resolved.message == (
        'Failed to resolve Direct vLLM image "vllm/vllm-openai:cu130-nightly" from nightly selection: '
        "registry unreachable."
    )
    assert step.status["image"]["resolved"] is None
    assert step.context == VLLM


def test_best_effort_mode_deploys_the_tag_when_resolution_fails() -> None:
    step = run(vllm(), "best-effort", failing_resolver)
    assert step.failure is None
    assert step.context.image == image.DEFAULT_IMAGE
    resolved = condition(step, "ImageResolved")
    assert (resolved.status, resolved.reason) == ("False", "ImageResolutionFailed")
    assert resolved.message.endswith(
        "Continuing with the default tag as written; resolution is retried on the next pass."
    )


@pytest.mark.parametrize("mode", ["best-effort", "required"])
def test_a_user_image_continues_when_resolution_fails(mode: str) -> None:
    md = vllm(engine__image="example.com/vllm:dev")
    step = run(md, mode, failing_resolver)
    assert step.failure is None
    assert step.context == VLLM  # the renderer runs the user image verbatim
    assert condition(step, "ImageResolved").message.endswith(
        "registry unreachable. Continuing with the user-specified image reference."
    )
    assert (condition(step, "UnsupportedImage").status, condition(step, "UnsupportedImage").reason) == (
        "True",
        "CustomImage",
    )


def test_an_empty_digest_counts_as_failure() -> None:
    step = run(vllm(), "required", resolver_returning(image.ResolvedImage(PINNED, " ")))
    assert step.failure is not None
    assert step.failure.endswith(": resolver returned empty digest result")


def test_an_earlier_resolution_of_the_same_request_is_reused() -> None:
    earlier = {
        "requested": image.DEFAULT_IMAGE,
        "resolved": PINNED,
        "digest": "sha256:ab",
        "createdAt": "2026-03-01T00:00:00Z",
        "revision": "r1",
        "age": "9d",
    }
    step = run(vllm(status={"image": earlier}), "required")
    assert step.context.image == PINNED
    assert {k: step.status["image"][k] for k in earlier} == earlier
    resolved = condition(step, "ImageResolved")
    assert (resolved.status, resolved.reason) == ("True", "ImageResolutionReused")
    assert (
        resolved.message
        == f'Reused resolved Direct vLLM image "{image.DEFAULT_IMAGE}" to "{PINNED}" from nightly selection.'
    )


def test_a_changed_request_is_resolved_again() -> None:
    earlier = {"requested": "vllm/vllm-openai:nightly-old", "resolved": "x@sha256:1", "digest": "sha256:1"}
    found = image.ResolvedImage(PINNED, "sha256:ab")
    assert run(vllm(status={"image": earlier}), "required", resolver_returning(found)).context.image == PINNED


@pytest.mark.parametrize("mode", ["off", "best-effort", "required"])
@pytest.mark.parametrize("ref", ["example.com/vllm@sha256:cd", "example.com/vllm"], ids=["digest", "no tag"])
def test_digest_or_untagged_references_are_never_looked_up(mode: str, ref: str) -> None:
    step = run(vllm(engine__image=ref), mode)
    assert step.status["image"]["resolved"] == ref
    assert (
        condition(step, "ImageResolved").message
        == f'Resolved Direct vLLM image "{ref}" from custom selection.'
    )


def test_recipe_provenance_is_summarised_in_order() -> None:
    annotations = {
        "airunway.ai/recipe.features": "fp8-kv",
        "airunway.ai/recipe.id": "qwen3-8b",
        "airunway.ai/generated-by": "vllm-recipe-resolver",
        "airunway.ai/recipe.hardware": " h100 ",
        "airunway.ai/recipe.variant": "",
    }
    step = run(vllm(annotations=annotations), "off")
    summary = "generated-by=vllm-recipe-resolver, id=qwen3-8b, hardware=h100, features=fp8-kv"
    assert step.conditions[0] == ConditionUpdate(
        "RecipeResolved", "True", "RecipeProvenanceResolved", summary
    )
    assert condition(step, "ImageResolved").message.endswith(f" Recipe provenance: {summary}.")


def test_no_recipe_annotations_no_recipe_condition() -> None:
    step = run(vllm(annotations={"airunway.ai/generated-by": "someone-else"}), "off")
    assert all(c.type != "RecipeResolved" for c in step.conditions)


@pytest.mark.parametrize(
    ("created", "expected"),
    [("2026-03-10T11:59:30Z", "0m"), ("2026-03-10T11:00:00+00:00", "1h"), ("2026-03-10T11:58:00Z", "2m"),
     ("2026-03-12T00:00:00Z", "0m"), ("2026-03-10T12:00:00", ""), ("yesterday", "")],
)  # fmt: skip
def test_image_age(created: str, expected: str) -> None:
    assert image.age(created, NOW) == expected


# -- status mapping ------------------------------------------------------------------------------------


def recorded(
    conditions: list[dict[str, str]], ready: int | None = None, available: int | None = None
) -> dict[str, Any]:
    """A Deployment as the API server returns it (trimmed), with `conditions` in its status."""
    status: dict[str, Any] = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2}
    if ready is not None:
        status["readyReplicas"] = ready
    if available is not None:
        status["availableReplicas"] = available
    if conditions:
        status["conditions"] = [
            {"lastTransitionTime": "2026-03-10T12:00:00Z", "lastUpdateTime": "2026-03-10T12:00:00Z", **c}
            for c in conditions
        ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "qwen", "namespace": "default", "generation": 1},
        "spec": {"replicas": 2},
        "status": status,
    }


PROGRESSING = {
    "type": "Progressing",
    "status": "True",
    "reason": "ReplicaSetUpdated",
    "message": 'ReplicaSet "qwen-6d4cf56db6" is progressing.',
}
UNAVAILABLE = {
    "type": "Available",
    "status": "False",
    "reason": "MinimumReplicasUnavailable",
    "message": "Deployment does not have minimum availability.",
}
AVAILABLE = {
    "type": "Available",
    "status": "True",
    "reason": "MinimumReplicasAvailable",
    "message": "Deployment has minimum availability.",
}
DEADLINE = {
    "type": "Progressing",
    "status": "False",
    "reason": "ProgressDeadlineExceeded",
    "message": 'ReplicaSet "qwen-6d4cf56db6" has timed out progressing.',
}


@pytest.mark.parametrize(
    ("primary", "expected"),
    [
        pytest.param(None, ProviderStatus(phase=Phase.PENDING), id="not created yet"),
        pytest.param(
            recorded([]),
            ProviderStatus(Phase.PENDING, "", 2, 0, 0, "qwen", 8000),
            id="no conditions yet",
        ),
        pytest.param(
            recorded([UNAVAILABLE, PROGRESSING], ready=1, available=0),
            ProviderStatus(Phase.DEPLOYING, "", 2, 1, 0, "qwen", 8000),
            id="progressing wins over unavailable",
        ),
        pytest.param(
            recorded([AVAILABLE, {**PROGRESSING, "reason": "NewReplicaSetAvailable"}], ready=2, available=2),
            ProviderStatus(Phase.RUNNING, "", 2, 2, 2, "qwen", 8000),
            id="available",
        ),
        pytest.param(
            recorded([UNAVAILABLE, DEADLINE], ready=0, available=0),
            ProviderStatus(
                Phase.FAILED, 'ReplicaSet "qwen-6d4cf56db6" has timed out progressing.', 2, 0, 0, "qwen", 8000
            ),
            id="progress deadline exceeded",
        ),
        pytest.param(
            recorded([{**DEADLINE, "message": ""}]),
            ProviderStatus(Phase.FAILED, "deployment timed out waiting for rollout", 2, 0, 0, "qwen", 8000),
            id="progress deadline exceeded without a message",
        ),
        pytest.param(
            recorded([UNAVAILABLE]),
            ProviderStatus(
                Phase.FAILED, "Deployment does not have minimum availability.", 2, 0, 0, "qwen", 8000
            ),
            id="unavailable with a message",
        ),
        pytest.param(
            recorded([{**UNAVAILABLE, "message": ""}]),
            ProviderStatus(Phase.PENDING, "", 2, 0, 0, "qwen", 8000),
            id="unavailable without a message",
        ),
    ],
)
def test_status_mapping(primary: dict[str, Any] | None, expected: ProviderStatus) -> None:
    assert PROVIDER.map_status(vllm(), Observed.of(primary)) == expected


# -- registration ----------------------------------------------------------------------------------

INSTALLATION_JSON = (
    '{"description":"vLLM provider: deploys vLLM Deployments + Services directly. Requires GPU nodes '
    'with the NVIDIA device plugin.","steps":[{"title":"Install NVIDIA GPU Device Plugin","command":'
    '"kubectl apply -f https://raw.githubusercontent.com/NVIDIA/k8s-device-plugin/v0.17.0/deployments/'
    'static/nvidia-device-plugin.yml","description":"Install the NVIDIA device plugin so GPU nodes '
    'advertise nvidia.com/gpu resources."},{"title":"Create HuggingFace Token Secret","command":'
    '"kubectl create secret generic vllm-hf-token --from-literal=HF_TOKEN=\\u003cyour-token\\u003e '
    '-n \\u003cmodel-namespace\\u003e","description":"Create the HuggingFace token secret in the same '
    'namespace as your ModelDeployment."}]}'
)


def test_config_is_upstreams_registration() -> None:
    assert PROVIDER.config("v0.3.0") == {
        "apiVersion": "airunway.ai/v1alpha1",
        "kind": "InferenceProviderConfig",
        "metadata": {
            "name": "vllm",
            "annotations": {
                "airunway.ai/installation": INSTALLATION_JSON,
                "airunway.ai/documentation": "https://github.com/ai-runway/airunway/tree/main/docs/providers/vllm.md",
            },
        },
        "spec": {
            "capabilities": {
                "engines": [
                    {
                        "name": "vllm",
                        "servingModes": ["aggregated"],
                        "apiFormats": ["openai-chat", "openai-responses", "anthropic-messages"],
                        "gpuSupport": True,
                        "cpuSupport": False,
                    }
                ]
            }
        },
    }


def test_identity() -> None:
    assert (PROVIDER.name, PROVIDER.display_name, PROVIDER.field_manager) == (
        "vllm",
        "Direct vLLM",
        "vllm-provider",
    )
    assert [(t.api_version, t.kind, t.plural) for t in PROVIDER.targets] == [
        ("apps/v1", "Deployment", "deployments"),
        ("v1", "Service", "services"),
    ]
    assert PROVIDER.uses_storage  # claims and the model download come from the shared pipeline (D4)
    assert PROVIDER.finalizer == "airunway.ai/vllm-provider"
    assert PROVIDER.sync_patch is None  # server-side apply


def test_best_effort_failure_asks_for_a_retry_and_other_outcomes_do_not() -> None:
    def unreachable(requested: str) -> image.ResolvedImage:
        raise image.ImageResolutionError("connection refused")

    step = image.make_pre_step(lambda settings: unreachable, lambda: datetime.now(UTC))
    best_effort = RenderContext(EngineType.VLLM, settings={image.SETTING: "best-effort"})
    failed = step(vllm(), best_effort)
    assert failed.failure is None
    assert failed.retry is not None
    assert "connection refused" in failed.retry
    required = step(vllm(), RenderContext(EngineType.VLLM, settings={image.SETTING: "required"}))
    assert required.failure is not None
    assert required.retry is None
    off = step(vllm(), RenderContext(EngineType.VLLM, settings={image.SETTING: "off"}))
    assert off.retry is None
