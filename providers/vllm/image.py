"""Direct vLLM image resolution (SPEC-providers §6.3, decision D25), as one pure function.

Which image the pods run, what `status.image` says about it, and the image conditions. Resolving
a tag to a digest needs a registry; that lookup is an injected `Resolver` (the composition root
plugs in `lookup.resolver_for`, a real registry client), and this module never contacts anything.
Three modes (setting `imageResolution`, `AIRUNWAY_VLLM_IMAGE_RESOLUTION`):

* `off`: no lookup; the tag runs as written and `ImageResolved=False` `ResolutionDisabled` says
  so (nothing was resolved; the phase is untouched).
* `best-effort` (D25, the default): look up; on failure run the tag as written,
  `ImageResolved=False` `ImageResolutionFailed`, phase untouched; a later pass tries again.
* `required`: upstream exactly; a failure for the default image stops the pass with phase
  `Failed` (no pods); a user image continues as written.

The mirror setting (`AIRUNWAY_VLLM_IMAGE_MIRROR`, D25) puts a registry prefix in front of the
default image (`mirror.example.com/hub` → `mirror.example.com/hub/vllm/vllm-openai:<tag>`); the
image keeps its `nightly` source. User images are never rewritten.

Messages and reason tokens are upstream's (`providers/vllm/controller.go`
`setImageResolutionStatus`), except `ResolutionDisabled`: upstream has no `off` mode. Pure: the
clock reading is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from airunway_operator.sdk import ModelDeployment, conditions
from providers.base import ConditionUpdate, PreStep, RenderContext
from providers.common import go_quote

REPOSITORY: Final = "vllm/vllm-openai"
VERSION: Final = "cu130-nightly"
"""Upstream `versions.env` `VLLM_VERSION`."""
DEFAULT_IMAGE: Final = f"{REPOSITORY}:{VERSION}"

SETTING: Final = "AIRUNWAY_VLLM_IMAGE_RESOLUTION"
"""Environment variable (a provider setting, a `RenderContext.settings` key) naming the mode; the
chart value is `imageResolution`."""
MODE_NAME: Final = "imageResolution"
"""The mode's name in messages (the chart value)."""
DEFAULT_MODE: Final = "best-effort"
MIRROR_SETTING: Final = "AIRUNWAY_VLLM_IMAGE_MIRROR"
"""Registry prefix for the default image (chart value `imageMirror`); empty: Docker Hub."""

RESOLUTION_DISABLED: Final = "ResolutionDisabled"
"""`ImageResolved` reason in mode `off`: the tag runs as written, never pinned to a digest."""

UNSUPPORTED_IMAGE: Final = "UnsupportedImage"
IMAGE_VERIFIED: Final = "ImageVerified"
RECIPE_RESOLVED: Final = "RecipeResolved"
VERIFICATION_NOT_IMPLEMENTED: Final = (
    "Image attestation/signature verification is not implemented by this controller"
)
GENERATED_BY: Final = "airunway.ai/generated-by"
RECIPE_RESOLVER: Final = "vllm-recipe-resolver"
RECIPE_PREFIX: Final = "airunway.ai/recipe."
_RECIPE_FIELDS: Final = (
    (GENERATED_BY, "generated-by"),
    *((f"{RECIPE_PREFIX}{name}", name) for name in ("source", "id", "strategy", "hardware")),
    *((f"{RECIPE_PREFIX}{name}", name) for name in ("variant", "precision", "revision", "features")),
)
_DOCKER_HUB_PREFIXES: Final = ("docker.io/", "index.docker.io/")


class ImageResolution(StrEnum):
    """How far the provider goes to pin the image to a digest (D25)."""

    OFF = "off"
    BEST_EFFORT = "best-effort"
    REQUIRED = "required"


def parse_mode(text: str) -> ImageResolution:
    """The mode named by the `imageResolution` setting; ValueError naming the choices."""
    try:
        return ImageResolution(text.strip())
    except ValueError:
        choices = ", ".join(mode.value for mode in ImageResolution)
        raise ValueError(f"setting {MODE_NAME} ({SETTING}) is {text!r}; choose one of {choices}") from None


@dataclass(frozen=True)
class ResolvedImage:
    """What a registry lookup returns for a tag."""

    resolved: str
    """`<repository>@<digest>`."""
    digest: str
    created_at: str = ""
    """Creation time (RFC 3339, UTC), from the image config or `org.opencontainers.image.created`."""
    revision: str = ""
    """Label `org.opencontainers.image.revision`."""


class ImageResolutionError(Exception):
    """A registry lookup failed; the message says why (it lands in status)."""


Resolver = Callable[[str], ResolvedImage]
"""Image reference with a tag → its digest; raises ImageResolutionError."""


@dataclass(frozen=True)
class ImageReference:
    repository: str
    tag: str
    digest: str


def parse_reference(text: str) -> ImageReference:
    """Upstream's split: digest after `@`; tag after the last `:` that follows the last `/`."""
    ref = text.strip()
    name, _, digest = ref.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        return ImageReference(name[:colon], name[colon + 1 :], digest)
    return ImageReference(name, "", digest)


def classify(requested: str, reference: ImageReference) -> str:
    """`launch`, `nightly`, `stable` or `custom` (upstream `directVLLMImageSource`)."""
    repository = reference.repository.strip()
    for prefix in _DOCKER_HUB_PREFIXES:
        repository = repository.removeprefix(prefix)
    tag = reference.tag.lower()
    if "launch" in tag:
        return "launch"
    if requested == DEFAULT_IMAGE or (repository == REPOSITORY and "nightly" in tag):
        return "nightly"
    if repository == REPOSITORY and reference.tag == "latest":
        return "stable"
    return "custom"


def default_image(mirror: str = "") -> str:
    """The default image, behind the mirror prefix when one is set."""
    prefix = mirror.strip().strip("/")
    return f"{prefix}/{DEFAULT_IMAGE}" if prefix else DEFAULT_IMAGE


def user_image(md: ModelDeployment) -> str | None:
    """`spec.engine.image`, else the legacy `spec.image` (admission keeps them equal when both set)."""
    engine_image = md.spec.engine.image if md.spec.engine is not None else None
    return engine_image or md.spec.image or None


def recipe_provenance(annotations: Mapping[str, str]) -> str:
    """`generated-by=…, source=…, …` from the recipe resolver's annotations; "" without them."""
    marked = annotations.get(GENERATED_BY) == RECIPE_RESOLVER or any(
        key.startswith(RECIPE_PREFIX) for key in annotations
    )
    if not marked:
        return ""
    parts = ((label, annotations.get(key, "").strip()) for key, label in _RECIPE_FIELDS)
    return ", ".join(f"{label}={value}" for label, value in parts if value)


def age(created_at: str, now: datetime) -> str:
    """`Nd`, else `Nh`, else `Nm`, else `0m` since `created_at`; "" when it is not RFC 3339."""
    try:
        created = datetime.fromisoformat(created_at.strip())
    except ValueError:
        return ""
    if created.tzinfo is None or now.tzinfo is None:
        return ""
    seconds = max((now - created).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "0m"


# -- the pre-step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    reason: str
    message: str
    resolved: Mapping[str, str]
    """resolved, digest, createdAt, revision, age: whatever this pass knows."""
    ok: bool = True
    failure: str | None = None


def resolve(
    md: ModelDeployment,
    context: RenderContext,
    mode: ImageResolution,
    resolver: Resolver,
    now: datetime,
    mirror: str = "",
) -> PreStep:
    """Status `image`, the image conditions and the image to run for this pass.

    `context.image` becomes the image the pods run when the user set none (the renderer runs a
    user image verbatim). `failure` is set only in `required` mode when the default image cannot
    be resolved."""
    user = user_image(md)
    requested = user or default_image(mirror)
    reference = parse_reference(requested)
    # A mirrored default is still the default image: classify it as such.
    source = (
        classify(requested, reference) if user else classify(DEFAULT_IMAGE, parse_reference(DEFAULT_IMAGE))
    )
    outcome = _outcome(md, requested, reference, source, mode, resolver, now, user is not None)
    provenance = recipe_provenance(md.metadata.annotations or {})
    message = f"{outcome.message} Recipe provenance: {provenance}." if provenance else outcome.message
    image = _image_status(requested, reference, source, outcome.resolved, message)
    run = image["resolved"] or requested
    return PreStep(
        context=context if user is not None or outcome.failure else replace(context, image=run),
        status={"image": image},
        conditions=(
            *_recipe_condition(provenance),
            _unsupported_condition(source),
            ConditionUpdate(
                conditions.IMAGE_RESOLVED, "True" if outcome.ok else "False", outcome.reason, message
            ),
            ConditionUpdate(
                IMAGE_VERIFIED, "Unknown", "VerificationNotImplemented", VERIFICATION_NOT_IMPLEMENTED
            ),
        ),
        failure=outcome.failure,
        # Best effort: the pass goes on with the tag, and the queue retries it with back-off.
        retry=message if outcome.reason == "ImageResolutionFailed" and outcome.failure is None else None,
    )


def _outcome(
    md: ModelDeployment,
    requested: str,
    reference: ImageReference,
    source: str,
    mode: ImageResolution,
    resolver: Resolver,
    now: datetime,
    is_user_image: bool,
) -> _Outcome:
    as_written = {"resolved": requested}
    if not reference.tag.strip() or reference.digest.strip():
        return _Outcome("ImageResolved", _resolved_message(requested, requested, source), as_written)
    if mode is ImageResolution.OFF:
        message = (
            f"Direct vLLM image {go_quote(requested)} from {source} selection is used as written: image "
            f"resolution is off ({MODE_NAME}=off), so the tag is not pinned to a digest."
        )
        return _Outcome(RESOLUTION_DISABLED, message, {}, ok=False)
    reused = _reusable(md, requested)
    if reused is not None:
        message = (
            f"Reused resolved Direct vLLM image {go_quote(requested)} to {go_quote(reused['resolved'])} "
            f"from {source} selection."
        )
        return _Outcome("ImageResolutionReused", message, reused)
    try:
        found = _lookup(resolver, requested, now)
    except ImageResolutionError as err:
        return _failed(requested, source, mode, is_user_image, str(err))
    return _Outcome("ImageResolved", _resolved_message(requested, found["resolved"], source), found)


def _lookup(resolver: Resolver, requested: str, now: datetime) -> dict[str, str]:
    result = resolver(requested)
    if not result.resolved.strip() or not result.digest.strip():
        raise ImageResolutionError("resolver returned empty digest result")
    created_at = result.created_at.strip()
    return {
        "resolved": result.resolved,
        "digest": result.digest,
        "createdAt": created_at,
        "revision": result.revision.strip(),
        "age": age(created_at, now) if created_at else "",
    }


def _failed(requested: str, source: str, mode: ImageResolution, is_user_image: bool, error: str) -> _Outcome:
    message = f"Failed to resolve Direct vLLM image {go_quote(requested)} from {source} selection: {error}."
    failure = None
    if is_user_image:
        message += " Continuing with the user-specified image reference."
    elif mode is ImageResolution.REQUIRED:
        failure = f"failed to resolve default vLLM image {go_quote(requested)}: {error}"
    else:
        message += " Continuing with the default tag as written; resolution is retried on the next pass."
    return _Outcome("ImageResolutionFailed", message, {}, ok=False, failure=failure)


def _resolved_message(requested: str, resolved: str, source: str) -> str:
    target = f" to {go_quote(resolved)}" if resolved and resolved != requested else ""
    return f"Resolved Direct vLLM image {go_quote(requested)}{target} from {source} selection."


def _reusable(md: ModelDeployment, requested: str) -> dict[str, str] | None:
    """The earlier pass's digest when it was resolved for this very request string."""
    current = md.status.image if md.status is not None else None
    if current is None or (current.requested or "").strip() != requested.strip():
        return None
    if not (current.resolved or "").strip() or not (current.digest or "").strip():
        return None
    return {
        "resolved": current.resolved or "",
        "digest": current.digest or "",
        "createdAt": current.created_at or "",
        "revision": current.revision or "",
        "age": current.age or "",
    }


def _image_status(
    requested: str, reference: ImageReference, source: str, resolved: Mapping[str, str], message: str
) -> dict[str, Any]:
    """Every `status.image` field, None where unknown, so a merge patch replaces stale values."""
    fields: dict[str, Any] = {
        "requested": requested,
        "resolved": resolved.get("resolved", ""),
        "repository": reference.repository,
        "tag": reference.tag,
        "digest": resolved.get("digest") or reference.digest,
        "source": source,
        "createdAt": resolved.get("createdAt", ""),
        "revision": resolved.get("revision", ""),
        "age": resolved.get("age", ""),
    }
    image = {key: value or None for key, value in fields.items()}
    return image | {
        "inNightly": source == "nightly",
        "verified": False,
        "verificationMessage": VERIFICATION_NOT_IMPLEMENTED,
        "message": message,
    }


def _unsupported_condition(source: str) -> ConditionUpdate:
    if source == "custom":
        return ConditionUpdate(
            UNSUPPORTED_IMAGE,
            "True",
            "CustomImage",
            "User-specified custom vLLM image is not verified as a supported provider image",
        )
    return ConditionUpdate(
        UNSUPPORTED_IMAGE,
        "False",
        "SupportedImage",
        "Selected vLLM image is supported by provider image policy",
    )


def _recipe_condition(provenance: str) -> tuple[ConditionUpdate, ...]:
    if not provenance:
        return ()
    return (ConditionUpdate(RECIPE_RESOLVED, "True", "RecipeProvenanceResolved", provenance),)


def make_pre_step(
    resolver_for: Callable[[Mapping[str, str]], Resolver], clock: Callable[[], datetime]
) -> Callable[[ModelDeployment, RenderContext], PreStep]:
    """The provider's pre-step: mode from `context.settings[SETTING]` (default best-effort), the
    mirror from `context.settings[MIRROR_SETTING]`, the resolver built from the settings."""

    def pre_step(md: ModelDeployment, context: RenderContext) -> PreStep:
        mode = parse_mode(context.settings.get(SETTING, DEFAULT_MODE))
        mirror = context.settings.get(MIRROR_SETTING, "")

        # Built on first use: a pass that needs no lookup builds no client.
        def lookup(requested: str) -> ResolvedImage:
            return resolver_for(context.settings)(requested)

        return resolve(md, context, mode, lookup, clock(), mirror)

    return pre_step
