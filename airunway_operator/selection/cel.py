"""CEL behind one module: compile each selection rule once, evaluate it against a spec, never raise.

Semantics are those of upstream's cel-go environment (SPEC-core §4.3): one variable `spec` of
dynamic type, the standard library and macros only, expressions type-checked at compile time.
Selecting a missing map key is an error, also inside `has()` when an intermediate key is missing;
`||`/`&&` absorb an error only when the other side decides; numbers compare across int, uint and
double at run time. Any error, and any non-boolean result, means "rule not matched".

The library is cel-expr-python (Google's CEL C++ runtime). cel-python 0.5 was measured first and
rejected: it answers `has(spec.resources.gpu)` with false instead of an error when `resources` is
absent, fails `spec.x == 0` for a double, has no type checker, and needs about 0.4-1 ms per rule
(docs/selection.md has the figures). Failures come back as values (`CompileError`, `EvalError`)
so callers can report them; nothing here raises or logs.

Two things keep selection cheap without changing any answer: `first_match` evaluates all rules of
a selection as one list expression and falls back to rule-by-rule evaluation only when one of
them errs, and `referenced_fields` finds the top-level fields rules can observe, so the caller
converts only those (converting the value for cel-cpp costs more than evaluating the rules).
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from cel_expr_python import cel

from airunway_operator.api.providerconfig import InferenceProviderConfig

#: The only variable a selection rule sees.
SPEC_VARIABLE: Final = "spec"
#: Compiled expressions kept per engine; the shipped providers need 7.
COMPILE_CACHE_SIZE: Final = 1024
#: Bound spec values kept per engine, by content (0 disables the cache).
BOUND_CACHE_SIZE: Final = 256
#: Static result types that can still be `true` at run time.
_BOOLEAN_CAPABLE: Final = frozenset({"BOOL", "DYN"})
#: cel-cpp wraps messages in its status code: "INVALID_ARGUMENT: ... [INVALID_ARGUMENT]".
_STATUS_PREFIX: Final = re.compile(r"^[A-Z_]+: ")
_STATUS_SUFFIX: Final = re.compile(r"\s*\[[A-Z_]+\]\s*$")
#: cel-cpp opens each compile problem with its position: "ERROR: <input>:1:3: ...".
_ERROR_PREFIX: Final = re.compile(r"^ERROR: <input>:")


@dataclass(frozen=True, eq=False)
class Program:
    """A compiled, type-checked expression; `handle` belongs to the engine that compiled it.

    Compared and hashed by identity: the compile cache hands out one Program per text."""

    text: str
    handle: Any = field(repr=False)


@dataclass(frozen=True)
class CompileError:
    """An expression that does not parse or type-check; it never matches."""

    text: str
    message: str


@dataclass(frozen=True)
class EvalError:
    """An evaluation that failed or did not produce a boolean."""

    message: str


@dataclass(frozen=True)
class Activation:
    """The value of `spec` converted once for the engine, reused across every rule of a selection."""

    handle: Any = field(repr=False)


class CelEngine(Protocol):
    """What selection needs from a CEL implementation (hashable: plans are cached per engine)."""

    def __hash__(self) -> int: ...

    def compile(self, text: str) -> Program | CompileError:
        """Parse and type-check `text` (cached by text)."""
        ...

    def bind(self, spec: Mapping[str, Any]) -> Activation:
        """Bind the JSON-shaped `spec` value (dicts, lists, str, float, bool, None) to `spec`."""
        ...

    def evaluate(self, program: Program, activation: Activation) -> bool | EvalError:
        """The boolean result of `program`, or why there is none."""
        ...

    def first_match(self, programs: Sequence[Program], activation: Activation) -> int | None:
        """Index of the first program that evaluates to `true`, None when none does."""
        ...


class CelExprEngine:
    """`CelEngine` on cel-expr-python; one instance holds one environment and its caches."""

    def __init__(
        self, cache_size: int = COMPILE_CACHE_SIZE, bound_cache_size: int = BOUND_CACHE_SIZE
    ) -> None:
        self._env = cel.NewEnv(variables={SPEC_VARIABLE: cel.Type.DYN})
        self._bound: OrderedDict[str, Activation] = OrderedDict()
        self._bound_cache_size = bound_cache_size
        self._lock = threading.Lock()
        self._compiled: Callable[[str], Program | CompileError] = functools.lru_cache(cache_size)(
            self._compile_uncached
        )
        self._batched: Callable[[tuple[Program, ...]], Program | None] = functools.lru_cache(cache_size)(
            self._compile_batch
        )

    def compile(self, text: str) -> Program | CompileError:
        return self._compiled(text)

    def bind(self, spec: Mapping[str, Any]) -> Activation:
        """Converting a value for cel-cpp costs more than evaluating every rule against it, and the
        part of a spec that rules observe repeats across deployments, so activations are kept per
        content. For JSON-shaped values `repr` is exact: equal text means an equal value."""
        key = repr(spec)
        with self._lock:
            activation = self._bound.get(key)
            if activation is not None:
                self._bound.move_to_end(key)
                return activation
        activation = Activation(self._env.Activation({SPEC_VARIABLE: spec}))
        with self._lock:
            self._bound[key] = activation
            while len(self._bound) > self._bound_cache_size:
                self._bound.popitem(last=False)
        return activation

    def evaluate(self, program: Program, activation: Activation) -> bool | EvalError:
        try:
            return _as_bool(program.handle.eval(activation.handle))
        except Exception as error:  # the binding raises only for values it cannot convert
            return EvalError(str(error))

    def first_match(self, programs: Sequence[Program], activation: Activation) -> int | None:
        verdicts = self._verdicts(programs, activation) if len(programs) > 1 else None
        if verdicts is None:  # some rule failed: find the first true one rule by rule
            return next(
                (index for index, program in enumerate(programs) if _is_true(program, activation)), None
            )
        return next((index for index, verdict in enumerate(verdicts) if verdict is True), None)

    def _compile_uncached(self, text: str) -> Program | CompileError:
        try:
            checked = self._env.compile(text)
        except Exception as error:  # parse and type-check failures arrive as RuntimeError
            return CompileError(text, _clean(str(error)))
        result_type = checked.return_type().name()
        if result_type not in _BOOLEAN_CAPABLE:
            return CompileError(
                text, f"expression has type {result_type.lower()}, not bool, so it never matches"
            )
        return Program(text, checked)

    def _compile_batch(self, programs: tuple[Program, ...]) -> Program | None:
        """All `programs` as one list expression: one evaluation instead of one per rule.

        Newlines end any `//` comment inside a rule. Only texts that compiled alone are batched,
        so the list can fail only on cel-cpp's nesting limit; then rules run one by one.
        """
        source = "[\n" + ",\n".join(f"({program.text}\n)" for program in programs) + "\n]"
        try:
            return Program(source, self._env.compile(source))
        except Exception:
            return None

    def _verdicts(self, programs: Sequence[Program], activation: Activation) -> list[Any] | None:
        """Every program's result from one batched evaluation, or None when any of them errs.

        A list literal fails as a whole when one element fails, so a list result means each
        element is exactly what evaluating that rule alone gives.
        """
        batch = self._batched(tuple(programs))
        if batch is None:
            return None
        try:
            values = batch.handle.eval(activation.handle).plain_value()
        except Exception:
            return None
        return values if isinstance(values, list) and len(values) == len(programs) else None


def _as_bool(value: Any) -> bool | EvalError:
    raw = value.value()
    if raw.__class__ is bool:  # only a CEL bool converts to a Python bool
        return bool(raw)
    kind = value.type().name()
    if kind == "ERROR":
        return EvalError(str(raw))  # e.g. 'NOT_FOUND: Key not found in map : "resources"'
    return EvalError(f"CEL expression did not return bool, got {kind.lower()}")


def _is_true(program: Program, activation: Activation) -> bool:
    """`evaluate(...) is True` without building an error value (the fallback's hot path)."""
    try:
        return program.handle.eval(activation.handle).value() is True
    except Exception:
        return False


def _clean(message: str) -> str:
    """One line per problem, without the source excerpt and caret lines (the message travels in
    admission warnings and condition messages): `at 1:3: found no matching overload ...`."""
    text = _STATUS_SUFFIX.sub("", _STATUS_PREFIX.sub("", message.strip()))
    lines = (line.strip() for line in text.splitlines() if not line.lstrip().startswith("|"))
    return "; ".join(_ERROR_PREFIX.sub("at ", line) for line in lines if line)


#: CEL's lexical tokens as far as finding uses of `spec` needs them (cel-spec langdef, "Syntax"):
#: comments, string and bytes literals (raw ones have no escapes), identifiers, the rest.
_TOKENS: Final = re.compile(
    r"""
    (?P<comment>//[^\n]*)
    | (?P<raw>(?:[bB]?[rR]|[rR][bB])(?:'''.*?'''|\"\"\".*?\"\"\"|'[^'\n]*'|"[^"\n]*"))
    | (?P<string>[bB]?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
                       |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
    | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_DOT: Final = ("other", ".")


def referenced_fields(texts: Iterable[str]) -> frozenset[str] | None:
    """The top-level fields of `spec` the expressions can observe, or None when one of them may
    observe more (`size(spec)`, `spec['x']`, `spec.exists(...)`, `spec` as a macro variable).

    When every use of the variable is a field selection `spec.<name>`, evaluating the rules
    against just those fields gives exactly the results of the whole spec. Conservative: whatever
    is not recognised as such a selection answers None (use the whole spec).
    """
    fields: set[str] = set()
    for text in texts:
        tokens = [token for token in _tokens(text) if token[0] not in ("space", "comment")]
        for position, token in enumerate(tokens):
            if token != ("ident", SPEC_VARIABLE) or (position > 0 and tokens[position - 1] == _DOT):
                continue  # not the variable (`x.spec` selects a field named spec)
            following = tokens[position + 1 : position + 4]
            if not _selects_field(following):
                return None
            fields.add(following[1][1])
    return frozenset(fields)


def _selects_field(following: list[tuple[str, str]]) -> bool:
    """`. name` and no call after it: `spec.exists(...)` or `spec.size()` see the whole map."""
    selects = len(following) >= 2 and following[0] == _DOT and following[1][0] == "ident"
    return selects and following[2:3] != [("other", "(")]


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup or "other"
        yield ("string" if kind == "raw" else kind), match.group()


@functools.cache
def default_engine() -> CelEngine:
    """The process-wide engine (created on first use, so importing this module stays cheap)."""
    return CelExprEngine()


def check_rules(config: InferenceProviderConfig, engine: CelEngine | None = None) -> list[tuple[int, str]]:
    """(index, message) for every selection rule of `config` that can never match because it does
    not compile or is not boolean. Selection skips such a rule, as upstream does; admission warns
    about it and the InferenceProviderConfig reports it (`validation.providerconfig`)."""
    engine = engine or default_engine()
    rules = config.spec.selection_rules if config.spec is not None else None
    return [
        (index, compiled.message)
        for index, rule in enumerate(rules or ())
        if isinstance(compiled := engine.compile(rule.condition), CompileError)
    ]
