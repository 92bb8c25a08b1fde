"""Exact parsing of Kubernetes resource quantities (`500m`, `4Ti`, `1.5Gi`, `2e3`), no dependencies.

Accepts exactly what apimachinery's `resource.ParseQuantity` accepts, including its lenient
corners (a bare sign, a bare suffix and `1.` all parse, as zero or one), and yields the value Go
compares with: exact, rounded away from zero to a multiple of 1n (10^-9) and capped at
2^63-1 in magnitude. So `1Gi == 1024Mi` and ceilings like `4Ti` compare exactly. Pure.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Final

DECIMAL_EXPONENTS: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
BINARY_SHIFTS: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_LETTERS: Final = frozenset("eEinumkKMGTP")
_DIGITS: Final = frozenset("0123456789")
_INT32: Final = (-(2**31), 2**31 - 1)
NANO: Final = Decimal("1e-9")
MAX_MAGNITUDE: Final = Decimal(2**63 - 1)


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse(value: str | int) -> Decimal:
    """The value of a quantity written as text (or as a plain integer); raises QuantityError."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise QuantityError("a quantity must be a string or an integer")
    text = str(value)
    if not text:
        raise QuantityError("a quantity must not be empty")
    negative, number, suffix = _split(text)
    magnitude = _scale(number, suffix)
    return _normalise(magnitude.copy_negate() if negative else magnitude)


def try_parse(value: object) -> Decimal | None:
    """The value of a quantity, or None when it does not parse."""
    try:
        return parse(value)  # type: ignore[arg-type]
    except QuantityError:
        return None


def _split(text: str) -> tuple[bool, str, str]:
    """Sign, the digits of the number as `int.frac`, and the suffix, following Go's scanner."""
    position = 1 if text[0] in "+-" else 0
    negative = text[0] == "-"
    whole_end = _skip(text, position, _DIGITS)
    whole = text[position:whole_end]
    fraction = ""
    position = whole_end
    if position < len(text) and text[position] == ".":
        fraction_end = _skip(text, position + 1, _DIGITS)
        fraction = text[position + 1 : fraction_end]
        position = fraction_end
    suffix = text[position:]
    if not _is_suffix_shaped(suffix):
        raise QuantityError(f"{text!r} is not a quantity: unexpected characters after the number")
    return negative, f"{whole or '0'}.{fraction or '0'}", suffix


def _skip(text: str, start: int, allowed: frozenset[str]) -> int:
    end = start
    while end < len(text) and text[end] in allowed:
        end += 1
    return end


def _is_suffix_shaped(suffix: str) -> bool:
    """Letters from the suffix alphabet, then an optional sign, then only digits (Go's shape check)."""
    rest = suffix[_skip(suffix, 0, _SUFFIX_LETTERS) :]
    if rest[:1] in ("+", "-"):
        rest = rest[1:]
    return all(character in _DIGITS for character in rest)


def _scale(number: str, suffix: str) -> Decimal:
    """The unsigned value of `number` with `suffix` applied, exactly."""
    if suffix in DECIMAL_EXPONENTS:
        return Decimal(f"{number}E{DECIMAL_EXPONENTS[suffix]}")
    if suffix in BINARY_SHIFTS:
        context = decimal.Context(prec=len(number) + 40, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
        return context.multiply(Decimal(number), Decimal(2 ** BINARY_SHIFTS[suffix]))
    exponent = _exponent(suffix)
    return Decimal(f"{number}E{exponent}")


def _exponent(suffix: str) -> int:
    """The exponent of an `e3`/`E-3` suffix; Go reads it as a signed 32-bit integer."""
    digits = suffix[1:]
    body = digits[1:] if digits[:1] in ("+", "-") else digits
    if suffix[:1] not in ("e", "E") or not body or not all(c in _DIGITS for c in body):
        raise QuantityError(
            f"unknown quantity suffix {suffix!r}; use n, u, m, k, M, G, T, P, E, Ki-Ei or e<N>"
        )
    exponent = int(digits)
    if not _INT32[0] <= exponent <= _INT32[1]:
        raise QuantityError(f"quantity exponent {exponent} is out of range")
    return exponent


def _normalise(value: Decimal) -> Decimal:
    """Round away from zero to a multiple of 1n and cap the magnitude at 2^63-1, as Go does.

    Only context-free Decimal operations are used before the cap, so huge exponents cannot overflow.
    """
    if value.is_zero():
        return Decimal(0)
    if value.copy_abs() > MAX_MAGNITUDE:
        return MAX_MAGNITUDE.copy_sign(value)
    context = decimal.Context(prec=60, rounding=decimal.ROUND_UP)
    return value.quantize(NANO, context=context)
