"""CEL rules (`x-kubernetes-validations`) of the ModelDeployment CRD, kept apart so the models stay readable.

Every admission rule of SPEC-core §2.3/§2.4 that needs no other object is enforced by the API
server itself, so it holds while the webhook is down. The rules are written against the object
*as stored*, which has only CRD defaults: upstream's mutating webhook (SPEC-core §2.2) never ran
on it. So wherever upstream validates a value its webhook defaulted, the rule computes that
default itself (the purpose-based mountPath, the `<name>-<volume>` claim name, ReadWriteMany,
the aggregated serving mode) and never rejects what upstream would accept.

Rules that need an annotation (Dynamo mocker mode), a walk through free-form data
(`spec.provider.overrides`) or another object (InferenceProviderConfig) stay webhook-only; see
docs/validation.md. Each constant below is a list of `markers.cel_rule` entries for one schema
node; `modeldeployment` attaches them. Pure data.
"""

from __future__ import annotations

from typing import Final

from airunway_operator.api import constants
from airunway_operator.api.markers import (
    REASON_FORBIDDEN,
    REASON_REQUIRED,
    JsonDict,
    cel_rule,
)

#: Upstream's admission ceilings (SPEC-core §2.3 rules 16 and 17).
MAX_GPU_COUNT: Final = 64
MAX_REPLICAS: Final = 32
MAX_CPU: Final = "512"
MAX_MEMORY: Final = "4Ti"

#: Kubernetes object names (DNS subdomain) are at most this long.
MAX_NAME_LENGTH: Final = 253
#: Suffix of the model download Job of a writable managed modelCache volume.
DOWNLOAD_JOB_SUFFIX: Final = "-model-download"

#: Mount paths a storage volume may neither equal nor sit below.
SYSTEM_PATHS: Final = ("/dev", "/proc", "/sys", "/etc", "/var/run")

# Schema bounds that keep the rules' worst-case CEL cost inside the API server's budgets (upstream
# has none of them). Each is far above what a working deployment uses; docs/validation.md lists them.
#: engine.extraArgs: tokens, and characters per token (room for an inline chat template or JSON).
MAX_EXTRA_ARGS: Final = 256
MAX_EXTRA_ARG_LENGTH: Final = 16384
#: storage volumes: a claim name (a PersistentVolumeClaim name has at most 253 characters) and a
#: mount path (Linux PATH_MAX).
MAX_CLAIM_NAME_LENGTH: Final = 4096
MAX_MOUNT_PATH_LENGTH: Final = 4096

_SYSTEM_PATHS_LIST: Final = "[" + ", ".join(f"'{p}'" for p in SYSTEM_PATHS) + "]"


# -- expression helpers ---------------------------------------------------------------------------


def _str(obj: str, name: str, fallback: str = "''") -> str:
    """`obj.name`, or `fallback` when absent (Go reads an omitted string field as "")."""
    return f"(has({obj}.{name}) ? {obj}.{name} : {fallback})"


def _mode(spec: str) -> str:
    """The serving mode upstream validates: absent serving or mode means aggregated."""
    return f"(has({spec}.serving) && has({spec}.serving.mode) ? {spec}.serving.mode : 'aggregated')"


def _disaggregated(spec: str) -> str:
    return f"{_mode(spec)} == 'disaggregated'"


def _mount_path(vol: str) -> str:
    """The mount path after upstream's defaulting: explicit, else by purpose, else ""."""
    return (
        f"(has({vol}.mountPath) && {vol}.mountPath != '' ? {vol}.mountPath"
        f" : {vol}.purpose == '{constants.VolumePurpose.MODEL_CACHE}'"
        f" ? '{constants.DEFAULT_MODEL_CACHE_PATH}'"
        f" : {vol}.purpose == '{constants.VolumePurpose.COMPILATION_CACHE}'"
        f" ? '{constants.DEFAULT_COMPILATION_CACHE_PATH}' : '')"
    )


def _claim_name(vol: str, md_name: str) -> str:
    """The claim name after upstream's defaulting: explicit, else `<md>-<volume>` with size, else ""."""
    return (
        f"(has({vol}.claimName) && {vol}.claimName != '' ? {vol}.claimName"
        f" : has({vol}.size) ? {md_name} + '-' + {vol}.name : '')"
    )


def _access_mode(vol: str) -> str:
    """The access mode of a managed volume after upstream's defaulting (ReadWriteMany)."""
    return _str(vol, "accessMode", f"'{constants.AccessMode.READ_WRITE_MANY}'")


def _same_size(a: str, b: str) -> str:
    """Two int-or-string sizes are equal as written or by quantity value (1Gi == 1024Mi, 1Ki == 1024).

    Only a changed value is parsed, and each side at most twice: the API server prices every parse
    of an int-or-string at its largest possible length, and two parses per volume is what fits
    the per-rule budget. An int is compared through `asInteger`, which is exact.
    """
    return (
        f"({a}.size == {b}.size || (type({a}.size) == int && type({b}.size) == int ? false"
        f" : type({a}.size) == int ? quantity({b}.size).isInteger()"
        f" && quantity({b}.size).asInteger() == int({a}.size)"
        f" : type({b}.size) == int ? quantity({a}.size).isInteger()"
        f" && quantity({a}.size).asInteger() == int({b}.size)"
        f" : quantity({a}.size).compareTo(quantity({b}.size)) == 0))"
    )


def _volumes(model: str) -> str:
    return f"{model}.storage.volumes"


def _has_volumes(model: str) -> str:
    return f"has({model}.storage) && has({model}.storage.volumes)"


# -- root (the whole object: metadata.name, spec and status are reachable) ---------------------------

_ROOT_VOLUMES: Final = _volumes("self.spec.model")
_HAS_ROOT_VOLUMES: Final = f"has(self.spec) && has(self.spec.model) && {_has_volumes('self.spec.model')}"
_CLAIM_MISMATCH: Final = (
    "has(v.size) && has(v.claimName) && v.claimName != '' && v.claimName != self.metadata.name + '-' + v.name"
)
_CLAIM_A: Final = _claim_name("a", "self.metadata.name")
_CLAIM_B: Final = _claim_name("b", "self.metadata.name")
_WRITABLE_MODEL_CACHE: Final = (
    f"{_ROOT_VOLUMES}.exists(v, v.purpose == '{constants.VolumePurpose.MODEL_CACHE}'"
    " && has(v.size) && !v.readOnly)"
)
# The root node changes on every update (metadata at least), so the API server never ratchets the
# root rules below; the storage rules ratchet themselves instead: an update that leaves
# spec.model.storage as it was is not judged again (metadata.name cannot change). Without this an
# object stored before these rules existed could not even lose its finalizers.
_STORAGE_UNCHANGED: Final = (
    "oldSelf.hasValue() && (has(oldSelf.value().spec.model.storage)"
    " ? has(self.spec.model.storage) && self.spec.model.storage == oldSelf.value().spec.model.storage"
    " : !has(self.spec.model.storage))"
)


def _storage_rule(
    rule: str, message: str, field_path: str, message_expression: str | None = None
) -> JsonDict:
    """A root rule over the storage volumes, checked on create and whenever the storage changes."""
    return cel_rule(
        f"!({_HAS_ROOT_VOLUMES}) || ({_STORAGE_UNCHANGED}) || {rule}",
        message,
        field_path,
        message_expression=message_expression,
        optional_old_self=True,
    )


_OLD_PROVIDER: Final = (
    "(has(oldSelf.spec.provider) && has(oldSelf.spec.provider.name) && oldSelf.spec.provider.name != ''"
    " ? oldSelf.spec.provider.name"
    " : has(oldSelf.status) && has(oldSelf.status.provider) && has(oldSelf.status.provider.name)"
    " ? oldSelf.status.provider.name : '')"
)

ROOT: Final[list[JsonDict]] = [
    cel_rule(
        "oldSelf.hasValue() || !self.metadata.name.contains('.')",
        "metadata.name must not contain dots: names derived from it (volumes, Services) cannot carry"
        " them; choose a name without '.'",
        ".metadata.name",
        optional_old_self=True,
    ),
    _storage_rule(
        f"{_ROOT_VOLUMES}.all(v, !({_CLAIM_MISMATCH}))",
        "claimName of a volume with size must be omitted or equal <metadata.name>-<volume name>:"
        " the controller creates and owns that claim",
        ".spec.model.storage.volumes",
        message_expression=(
            f"{_ROOT_VOLUMES}.transformList(i, v, {_CLAIM_MISMATCH}, 'volume '"
            " + v.name + ': claimName must be omitted or equal ' + self.metadata.name + '-' + v.name"
            " + ' when size is set (the controller creates and owns that claim)')[0]"
        ),
    ),
    _storage_rule(
        f"{_ROOT_VOLUMES}.all(v, !has(v.size)"
        f" || size(self.metadata.name) + 1 + size(v.name) <= {MAX_NAME_LENGTH})",
        f"the claim name <metadata.name>-<volume name> of a volume with size exceeds {MAX_NAME_LENGTH}"
        " characters; use a shorter ModelDeployment or volume name",
        ".spec.model.storage.volumes",
    ),
    _storage_rule(
        f"!({_WRITABLE_MODEL_CACHE})"
        f" || size(self.metadata.name) + {len(DOWNLOAD_JOB_SUFFIX)} <= {MAX_NAME_LENGTH}",
        f"the model download Job name <metadata.name>{DOWNLOAD_JOB_SUFFIX} exceeds {MAX_NAME_LENGTH}"
        " characters; use a shorter ModelDeployment name",
        ".metadata.name",
    ),
    _storage_rule(
        f"{_ROOT_VOLUMES}.all(a, {_ROOT_VOLUMES}.all(b,"
        f" a.name == b.name || {_CLAIM_A} == '' || {_CLAIM_A} != {_CLAIM_B}))",
        "two volumes use the same claim (a volume with size uses <metadata.name>-<volume name>);"
        " give each volume its own claimName",
        ".spec.model.storage.volumes",
        message_expression=(
            f"{_ROOT_VOLUMES}.transformList(i, a, {_CLAIM_A} != '' && {_ROOT_VOLUMES}"
            f".exists(b, a.name != b.name && {_CLAIM_A} == {_CLAIM_B}), 'volume '"
            f" + a.name + ': duplicate claim name ' + {_CLAIM_A} + ' (a volume with size uses"
            " <metadata.name>-<volume name>); give each volume its own claim')[0]"
        ),
    ),
    cel_rule(
        "!has(self.spec) || !has(self.spec.provider) || !has(self.spec.provider.name)"
        f" || self.spec.provider.name == '' || {_OLD_PROVIDER} == ''"
        f" || {_OLD_PROVIDER} == self.spec.provider.name",
        "spec.provider.name is immutable once set or once a provider was selected (status.provider.name);"
        " clear it or delete and recreate the ModelDeployment",
        ".spec.provider.name",
        message_expression=(
            "'spec.provider.name is immutable: the deployment is bound to provider ' + "
            f"{_OLD_PROVIDER} + '; clear the field or delete and recreate the ModelDeployment to use '"
            " + self.spec.provider.name"
        ),
    ),
]

# -- spec ------------------------------------------------------------------------------------------

SPEC: Final[list[JsonDict]] = [
    cel_rule(
        "!has(self.image) || self.image == '' || !has(self.engine) || !has(self.engine.image)"
        " || self.engine.image == '' || self.image == self.engine.image",
        "spec.image conflicts with spec.engine.image; remove spec.image or set both to the same value"
        " (spec.engine.image is preferred)",
        ".engine.image",
    ),
    cel_rule(
        f"!({_disaggregated('self')}) || !has(self.resources) || !has(self.resources.gpu)"
        " || self.resources.gpu.count == 0",
        "resources.gpu cannot be used in disaggregated mode; set GPUs under scaling.prefill.gpu and"
        " scaling.decode.gpu instead",
        ".resources.gpu",
    ),
    cel_rule(
        f"!({_disaggregated('self')}) || has(self.scaling)",
        "disaggregated mode requires scaling with prefill and decode",
        ".scaling",
        reason=REASON_REQUIRED,
    ),
    cel_rule(
        f"!({_disaggregated('self')}) || !has(self.scaling) || has(self.scaling.prefill)",
        "disaggregated mode requires scaling.prefill",
        ".scaling.prefill",
        reason=REASON_REQUIRED,
    ),
    cel_rule(
        f"!({_disaggregated('self')}) || !has(self.scaling) || has(self.scaling.decode)",
        "disaggregated mode requires scaling.decode",
        ".scaling.decode",
        reason=REASON_REQUIRED,
    ),
    cel_rule(
        f"{_mode('self')} == {_mode('oldSelf')}",
        "serving.mode is immutable (an absent mode is aggregated); delete and recreate the"
        " ModelDeployment to change it",
        ".serving.mode",
    ),
]

# -- spec.model ------------------------------------------------------------------------------------

_OLD_MANAGED_REMOVED: Final = (
    f"has(o.size) && !({_has_volumes('self')} && {_volumes('self')}.exists(n, n.name == o.name))"
)

_HF: Final = f"'{constants.ModelSource.HUGGINGFACE}'"

MODEL: Final[list[JsonDict]] = [
    cel_rule(
        f"{_str('self', 'source', _HF)} != {_HF} || (has(self.id) && self.id != '')",
        "model.id is required when source is huggingface (for example Qwen/Qwen2.5-0.5B-Instruct)",
        ".id",
        reason=REASON_REQUIRED,
    ),
    cel_rule(
        f"{_str('self', 'id')} == {_str('oldSelf', 'id')}",
        "model.id is immutable; delete and recreate the ModelDeployment to serve another model",
        ".id",
    ),
    cel_rule(
        f"{_str('self', 'source', _HF)} == {_str('oldSelf', 'source', _HF)}",
        "model.source is immutable; delete and recreate the ModelDeployment to change it",
        ".source",
    ),
    cel_rule(
        f"!({_has_volumes('oldSelf')}) || !{_volumes('oldSelf')}.exists(o, {_OLD_MANAGED_REMOVED})",
        "a managed storage volume (one with size) is immutable and cannot be removed: it owns a"
        " PersistentVolumeClaim; delete the ModelDeployment to clean up managed storage",
        ".storage.volumes",
        reason=REASON_FORBIDDEN,
        message_expression=(
            f"{_volumes('oldSelf')}.transformList(i, o, {_OLD_MANAGED_REMOVED}, 'managed storage volume '"
            " + o.name + ' is immutable and cannot be removed (it owns a PersistentVolumeClaim);"
            " delete the ModelDeployment to clean up managed storage')[0]"
        ),
    ),
]

# -- spec.engine -----------------------------------------------------------------------------------

# An extraArgs token `a` names a flag when it starts with exactly two dashes; its bare name `k` is the
# text after them up to any "=", trimmed. "--" alone or "--=x" name nothing. The name is computed
# once, as the single element of a list, so its cost is counted once.
_IS_FLAG: Final = "a.startsWith('--') && !a.startsWith('---')"
_FLAG_NAME: Final = "[a.substring(2).split('=', 2)[0].trim()]"
_DOUBLE_FLAG: Final = f"{_IS_FLAG} && {_FLAG_NAME}.exists(k, k != '' && k in self.args)"

ENGINE: Final[list[JsonDict]] = [
    cel_rule(
        f"!has(self.args) || !has(self.extraArgs) || !self.extraArgs.exists(a, {_DOUBLE_FLAG})",
        "a launch flag is set in both engine.args and engine.extraArgs; set it in exactly one place",
        ".extraArgs",
        message_expression=(
            f"'launch flag ' + self.extraArgs.filter(a, {_DOUBLE_FLAG})[0]"
            " + ' is set in both engine.args and engine.extraArgs; set it in exactly one place'"
        ),
    ),
    cel_rule(
        "!has(self.type) || !has(oldSelf.type) || self.type == oldSelf.type",
        "engine.type is immutable once set; delete and recreate the ModelDeployment to change the engine",
        ".type",
    ),
]

# -- spec.model.storage.volumes (the list) -----------------------------------------------------------

_MOUNT_A: Final = _mount_path("a")
_MOUNT_B: Final = _mount_path("b")


def _at_most_one(purpose: str) -> JsonDict:
    return cel_rule(
        f"self.filter(v, v.purpose == '{purpose}').size() <= 1",
        f"at most one volume with purpose {purpose} is allowed",
    )


VOLUMES: Final[list[JsonDict]] = [
    _at_most_one(constants.VolumePurpose.MODEL_CACHE),
    _at_most_one(constants.VolumePurpose.COMPILATION_CACHE),
    cel_rule(
        f"self.all(a, self.all(b, a.name == b.name || {_MOUNT_A} == '' || {_MOUNT_A} != {_MOUNT_B}))",
        "two volumes are mounted at the same path (modelCache defaults to /model-cache,"
        " compilationCache to /compilation-cache); give each volume its own mountPath",
        message_expression=(
            f"self.transformList(i, a, {_MOUNT_A} != '' && self.exists(b, a.name != b.name"
            f" && {_MOUNT_A} == {_MOUNT_B}), 'volume ' + a.name + ': duplicate mount path '"
            f" + {_MOUNT_A} + ' (modelCache defaults to /model-cache, compilationCache to"
            " /compilation-cache); give each volume its own mountPath')[0]"
        ),
    ),
]

# -- spec.model.storage.volumes[] (one volume) ------------------------------------------------------

_SYSTEM_PATH_HIT: Final = "self.mountPath == p || self.mountPath.startsWith(p + '/')"

VOLUME: Final[list[JsonDict]] = [
    cel_rule(
        "has(self.size) || (has(self.claimName) && self.claimName != '')",
        "claimName is required when size is not set (name an existing PersistentVolumeClaim, or set"
        " size to have one created)",
        ".claimName",
        reason=REASON_REQUIRED,
    ),
    cel_rule(
        "!has(self.size) || !self.readOnly",
        "readOnly must not be true when size is set (a created claim needs write access)",
        ".readOnly",
    ),
    cel_rule(
        "!has(self.accessMode) || has(self.size)",
        "accessMode only applies when size is set (to the claim the controller creates); remove it",
        ".accessMode",
    ),
    cel_rule(
        "!has(self.storageClassName) || has(self.size)",
        "storageClassName only applies when size is set (to the claim the controller creates); remove it",
        ".storageClassName",
    ),
    cel_rule(
        "!has(self.mountPath) || self.mountPath == '' || self.mountPath.startsWith('/')",
        "mountPath must be an absolute path (start with /)",
        ".mountPath",
    ),
    cel_rule(
        f"self.purpose != '{constants.VolumePurpose.CUSTOM}'"
        " || (has(self.mountPath) && self.mountPath != '')",
        "mountPath is required when purpose is custom",
        ".mountPath",
        reason=REASON_REQUIRED,
    ),
    cel_rule(
        f"!has(self.mountPath) || !{_SYSTEM_PATHS_LIST}.exists(p, {_SYSTEM_PATH_HIT})",
        "mountPath must not be, or be below, a system path (" + ", ".join(SYSTEM_PATHS) + ")",
        ".mountPath",
        message_expression=(
            f"'mountPath must not overlap with system path ' + {_SYSTEM_PATHS_LIST}"
            f".filter(p, {_SYSTEM_PATH_HIT})[0]"
        ),
    ),
    cel_rule(
        f"!has(oldSelf.size) || !has(self.size) || {_same_size('self', 'oldSelf')}",
        "size of a managed storage volume is immutable (sizes are compared by value, 1Gi equals"
        " 1024Mi); delete the ModelDeployment to change managed storage",
        ".size",
    ),
    cel_rule(
        "!has(oldSelf.size) || (has(self.size)"
        f" && {_mount_path('self')} == {_mount_path('oldSelf')}"
        " && self.purpose == oldSelf.purpose && self.readOnly == oldSelf.readOnly"
        f" && {_access_mode('self')} == {_access_mode('oldSelf')}"
        " && has(self.storageClassName) == has(oldSelf.storageClassName)"
        " && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName))",
        "a managed storage volume (one with size) is immutable: its size, mountPath, purpose, readOnly,"
        " accessMode and storageClassName cannot change; delete the ModelDeployment to change managed"
        " storage",
    ),
]

#: On `size` itself: upstream decodes it as a resource.Quantity, so a string that fits the pattern
#: but does not parse (such as 1e1.5) never gets past its webhook.
SIZE: Final[list[JsonDict]] = [
    cel_rule(
        "type(self) == int || isQuantity(self)",
        "size must be a resource quantity such as 100Gi",
    ),
]


def _quantity_ceiling(limit: str, example: str) -> list[JsonDict]:
    """An optional quantity string: "" is allowed; otherwise it parses and is at most `limit`."""
    return [
        cel_rule(
            "self == '' || isQuantity(self)",
            f"invalid resource quantity; use a Kubernetes quantity such as {example}",
        ),
        cel_rule(
            f"self == '' || !isQuantity(self) || quantity(self).compareTo(quantity('{limit}')) <= 0",
            f"exceeds maximum allowed ({limit})",
        ),
    ]


#: On resources.memory and scaling.prefill/decode.memory.
MEMORY: Final = _quantity_ceiling(MAX_MEMORY, "32Gi")
#: On resources.cpu.
CPU: Final = _quantity_ceiling(MAX_CPU, "4 or 500m")
