"""Property tests: on any input — schema-shaped or arbitrary — admission answers and never raises,
every error names a spec or metadata path, and the rejection text names every path."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airunway_operator.validation import admission, lookup, overrides, parsing
from airunway_operator.validation.result import ErrorKind, Verdict
from tests.unit.validation.builders import engine, ipc

ALPHABET = string.ascii_letters + string.digits + "-./_=: é\x00"


def text(size: int) -> st.SearchStrategy[str]:
    """Short strings over an alphabet that reaches every branch (separators, non-ASCII, NUL)."""
    return st.text(alphabet=ALPHABET, max_size=size)


SETTINGS = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CONFIGS = (
    ipc("vllm", engine("vllm")),
    ipc("kaito", engine("vllm"), engine("llamacpp", cpu=True)),
    ipc("dynamo", engine("vllm", modes=("aggregated", "disaggregated")), engine("sglang")),
    ipc("bare", capabilities=False),
)
LOOKUPS = st.one_of(
    st.just(lookup.NOT_LOOKED_UP),
    st.just(lookup.NOT_FOUND),
    st.just(lookup.NOT_INSTALLED),
    st.builds(lookup.Forbidden, text(20)),
    st.builds(lookup.Unavailable, text(20)),
    st.sampled_from(CONFIGS).map(lookup.Found),
)

# -- arbitrary JSON-ish data ------------------------------------------------------------------------

TEXT = text(8)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), TEXT)
KEYS = st.one_of(
    st.sampled_from(sorted(overrides.SECURITY_KEYS | overrides.SIZING_KEYS | {"frontend", "epp", "spec"})),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)
FIELD_NAMES = st.sampled_from(
    [
        *("model", "id", "source", "storage", "volumes", "name", "claimName", "mountPath", "purpose"),
        *("readOnly", "size", "storageClassName", "accessMode", "provider", "overrides", "engine", "type"),
        *("image", "args", "extraArgs", "serving", "mode", "scaling", "replicas", "prefill", "decode"),
        *("gpu", "count", "resources", "memory", "cpu", "env", "secrets", "gateway", "nodeSelector"),
        *("tolerations", "podTemplate", "servedName"),
    ]
)
SPEC_LIKE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(FIELD_NAMES, inner, max_size=4),
    max_leaves=12,
)

# -- schema-shaped ModelDeployments --------------------------------------------------------------------


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object where every field may be absent."""
    return st.fixed_dictionaries({}, optional=fields)


LABEL_CHARS = string.ascii_lowercase + string.digits
DNS = st.tuples(
    st.sampled_from(LABEL_CHARS),
    st.text(alphabet=LABEL_CHARS + "-", max_size=8),
    st.sampled_from(LABEL_CHARS),
).map("".join)
NAMES = st.one_of(DNS, st.sampled_from(["qwen", "a.b", "x" * 240, "y" * 200]), text(5))
QUANTITIES = st.one_of(
    st.sampled_from(["1", "500m", "4Ti", "4097Gi", "512", "513", "1e1.5", "Gi", "-", "", "1.5Gi", "5e12"]),
    st.tuples(
        st.sampled_from(["", "+", "-"]),
        st.text(alphabet=string.digits, max_size=4),
        st.sampled_from(["", ".", ".5", ".25"]),
        st.sampled_from(
            ["", "m", "n", "k", "M", "G", "Ki", "Mi", "Gi", "Ti", "Ei", "e3", "E-2", "e1.5", "ki"]
        ),
    ).map("".join),
    st.integers(-5, 10**15),
    text(6),
)
PATHS = st.one_of(
    st.sampled_from(["/data", "/model-cache", "/dev", "/etc/x", "rel", "", "/var/run/a"]), text(6)
)
VOLUME = optional(
    name=st.one_of(DNS, st.sampled_from(["cache", "data", "z" * 60])),
    claimName=maybe(st.one_of(st.sampled_from(["shared", "qwen-cache", ""]), text(5))),
    mountPath=maybe(PATHS),
    purpose=st.sampled_from(["modelCache", "compilationCache", "custom", "other"]),
    readOnly=st.booleans(),
    size=maybe(QUANTITIES),
    storageClassName=maybe(st.sampled_from(["", "fast"])),
    accessMode=maybe(
        st.sampled_from(["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod", "X"])
    ),
)
GPU = optional(count=st.integers(-1, 70), type=st.sampled_from(["", "nvidia.com/gpu", "amd.com/gpu"]))
COMPONENT = optional(replicas=st.integers(-1, 40), gpu=maybe(GPU), memory=maybe(QUANTITIES))
FLAGS = st.sampled_from(["seed", "max-model-len", "enforce-eager", "x"])
SPEC = st.fixed_dictionaries(
    {},
    optional={
        "model": optional(
            id=maybe(st.sampled_from(["Qwen/Qwen3-0.6B", ""])),
            servedName=maybe(text(5)),
            source=st.sampled_from(["huggingface", "custom", "s3"]),
            storage=maybe(optional(volumes=maybe(st.lists(VOLUME, max_size=4)))),
        ),
        "provider": optional(
            name=maybe(st.sampled_from(["vllm", "kaito", "dynamo", "bare", "unknown", ""])),
            overrides=JSON,
        ),
        "engine": optional(
            type=maybe(st.sampled_from(["vllm", "sglang", "trtllm", "llamacpp", "tgi"])),
            image=maybe(st.sampled_from(["a:1", "b:1"])),
            contextLength=maybe(st.integers(0, 10**6)),
            trustRemoteCode=st.booleans(),
            args=maybe(st.dictionaries(FLAGS, text(3), max_size=3)),
            extraArgs=maybe(st.lists(st.one_of(FLAGS.map("--{}".format), text(6)), max_size=3)),
        ),
        "serving": optional(mode=st.sampled_from(["aggregated", "disaggregated", "other"])),
        "scaling": maybe(
            optional(replicas=st.integers(-1, 40), prefill=maybe(COMPONENT), decode=maybe(COMPONENT))
        ),
        "resources": maybe(optional(gpu=maybe(GPU), memory=maybe(QUANTITIES), cpu=maybe(QUANTITIES))),
        "image": maybe(st.sampled_from(["a:1", "b:1", ""])),
        "env": st.lists(optional(name=text(4), value=text(4)), max_size=2),
    },
)
ANNOTATIONS: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.just({"airunway.ai/dynamo-test-backend": "mocker"}),
    st.dictionaries(TEXT, SCALARS, max_size=2),
)
STATUS = optional(provider=optional(name=st.one_of(st.sampled_from(["kaito", "dynamo", ""]), JSON)))


@st.composite
def shaped_bodies(draw: st.DrawFn) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": draw(NAMES), "annotations": draw(ANNOTATIONS)}
    if draw(st.booleans()):
        metadata["deletionTimestamp"] = draw(st.sampled_from(["2026-01-01T00:00:00Z", "", None]))
    return {"metadata": metadata, "spec": draw(SPEC), "status": draw(STATUS)}


#: Stored objects: only what immutability compares, to keep each example cheap.
OLD_BODIES = st.fixed_dictionaries(
    {
        "metadata": st.fixed_dictionaries({"name": st.sampled_from(["qwen", "a.b"])}),
        "spec": optional(
            model=optional(
                id=maybe(st.sampled_from(["Qwen/Qwen3-0.6B", "other"])),
                source=st.sampled_from(["huggingface", "custom"]),
                storage=maybe(optional(volumes=maybe(st.lists(VOLUME, max_size=2)))),
            ),
            engine=optional(type=maybe(st.sampled_from(["vllm", "sglang"]))),
            provider=optional(name=maybe(st.sampled_from(["kaito", "dynamo", ""]))),
            serving=optional(mode=st.sampled_from(["aggregated", "disaggregated"])),
        ),
        "status": STATUS,
    }
)

ARBITRARY_BODIES = st.one_of(
    st.dictionaries(st.sampled_from(["metadata", "spec", "status", "kind"]), SPEC_LIKE, max_size=4),
    st.fixed_dictionaries({"metadata": JSON, "spec": SPEC_LIKE}),
)

# -- properties --------------------------------------------------------------------------------------


def assert_well_formed(verdict: Verdict, found: lookup.ProviderLookup) -> None:
    assert verdict.allowed is (not verdict.errors)
    message = verdict.message()
    for error in verdict.errors:
        assert error.path == "spec" or error.path.startswith(("spec.", "metadata.")), error.path
        assert error.path in message
        assert error.message
        assert_path_printed_once(str(error), error.path)
        if not isinstance(found, lookup.Forbidden):
            assert error.kind is not ErrorKind.INTERNAL, error.message
    assert all(isinstance(warning, str) and warning for warning in verdict.warnings)


def assert_path_printed_once(rendered: str, path: str) -> None:
    """A rendered problem opens with its field path, and never prints it twice in a row."""
    assert rendered.startswith(path), rendered
    assert not rendered[len(path) :].lstrip(": ").startswith(path), rendered


def check_everything(body: Any, old: Any, found: lookup.ProviderLookup) -> None:
    parsing.read(body)  # the parser itself must not raise either
    name = admission.provider_to_look_up(body)
    assert name is None or (isinstance(name, str) and name)
    assert_well_formed(admission.validate_create(body, found), found)
    assert_well_formed(admission.validate_update(body, old, found), found)


@SETTINGS
@given(body=shaped_bodies(), old=OLD_BODIES, found=LOOKUPS)
def test_schema_shaped_bodies_always_get_a_well_formed_answer(
    body: Any, old: Any, found: lookup.ProviderLookup
):
    check_everything(body, old, found)


@SETTINGS
@given(body=ARBITRARY_BODIES, old=ARBITRARY_BODIES, found=LOOKUPS)
def test_arbitrary_bodies_always_get_a_well_formed_answer(body: Any, old: Any, found: lookup.ProviderLookup):
    check_everything(body, old, found)


@settings(max_examples=300, deadline=None)
@given(value=JSON, provider=st.sampled_from(["dynamo", "vllm", None]), key=st.text(alphabet=string.printable))
def test_overrides_checks_never_raise(value: Any, provider: str | None, key: str):
    for candidate in (value, {"spec": value}, {key: value}):
        for error in overrides.check({"overrides": candidate}, provider):
            assert error.path.startswith("spec.provider.overrides")
