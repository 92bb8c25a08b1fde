"""The canonical text of a Kubernetes quantity, as apimachinery's `Quantity.MarshalJSON` writes it.

Upstream's CEL input is the spec after a Go JSON round trip, so a quantity shows up in its
canonical form, not as written: `1.5Gi` -> `1536Mi`, `1000M` -> `1G`, `0.5` -> `500m`,
`1e3` -> `1e3`, `2048` -> `2048`. The rules follow `resource.Quantity.CanonicalizeBytes`: the
format comes from the suffix (binary, decimal or exponent); binary values print in base 1024
when whole and at least 1024, otherwise in decimal; decimal mantissas lose trailing zeros and
the exponent drops to a multiple of three. Values are rounded up to 1n and binary ones capped at
2^63-1 as `ParseQuantity` does. Decimal exponents beyond the suffix table (above 10^18) print
as `e<N>`. Pure.
"""

from __future__ import annotations

import decimal
import functools
import re
from decimal import Decimal
from enum import Enum, auto
from typing import Final

from airunway_operator.validation import quantity
from airunway_operator.validation.quantity import QuantityError

_QUANTITY: Final = re.compile(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$")
_DECIMAL_EXPONENTS: Final = quantity.DECIMAL_EXPONENTS
_DECIMAL_SUFFIXES: Final = {exponent: suffix for suffix, exponent in _DECIMAL_EXPONENTS.items()}
_BINARY_POWERS: Final = {suffix: bits // 10 for suffix, bits in quantity.BINARY_SHIFTS.items()}
_BINARY_SUFFIXES: Final = {power: suffix for suffix, power in _BINARY_POWERS.items()} | {0: ""}
_NANO: Final = quantity.NANO
_INT64_MAX: Final = quantity.MAX_MAGNITUDE


class _Format(Enum):
    DECIMAL_SI = auto()
    BINARY_SI = auto()
    DECIMAL_EXPONENT = auto()


@functools.lru_cache(maxsize=4096)
def canonical_text(value: int | str) -> str:
    """apimachinery's canonical text of a quantity (what `Quantity.MarshalJSON` writes):
    `1.5Gi` -> `1536Mi`, `1000M` -> `1G`, `0.5` -> `500m`, `1e3` -> `1e3`, `2048` -> `2048`."""
    amount, quantity_format = _parse_quantity(str(value))
    if amount.is_zero():
        return "0"
    if quantity_format is _Format.BINARY_SI and abs(amount) >= 1024 and amount == amount.to_integral_value():
        return _base1024_text(int(amount))
    if quantity_format is _Format.BINARY_SI:
        quantity_format = _Format.DECIMAL_SI  # small or fractional binary values print in decimal
    return _base10_text(amount, quantity_format)


def _parse_quantity(text: str) -> tuple[Decimal, _Format]:
    match = _QUANTITY.match(text.strip())
    if match is None or not (match.group(2) or match.group(3)):
        raise QuantityError(f"quantities must match the regular expression: {text!r}")
    sign, whole, fraction, suffix = match.groups()
    digits = f"{whole or '0'}.{fraction or '0'}"
    context = decimal.Context(prec=len(digits) + 40, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
    amount, quantity_format = _apply_suffix(Decimal(digits), suffix, context, text)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -9:
        amount = amount.quantize(_NANO, rounding=decimal.ROUND_UP, context=context)
    if quantity_format is _Format.BINARY_SI:
        amount = min(amount, _INT64_MAX)
    return (-amount if sign == "-" else amount), quantity_format


def _apply_suffix(
    number: Decimal, suffix: str, context: decimal.Context, text: str
) -> tuple[Decimal, _Format]:
    if suffix in _DECIMAL_EXPONENTS:
        return number.scaleb(_DECIMAL_EXPONENTS[suffix], context), _Format.DECIMAL_SI
    if suffix in _BINARY_POWERS:
        return context.multiply(number, Decimal(1024 ** _BINARY_POWERS[suffix])), _Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        return number.scaleb(int(suffix[1:]), context), _Format.DECIMAL_EXPONENT
    raise QuantityError(f"unable to parse quantity's suffix: {text!r}")


def _base1024_text(amount: int) -> str:
    mantissa, power = abs(amount), 0
    while mantissa >= 1024 and mantissa % 1024 == 0:
        mantissa, power = mantissa // 1024, power + 1
    return f"{'-' if amount < 0 else ''}{mantissa}{_BINARY_SUFFIXES[power]}"


def _base10_text(amount: Decimal, quantity_format: _Format) -> str:
    """Mantissa with trailing zeros folded into the exponent, exponent lowered to a multiple of 3."""
    sign, digits, raw_exponent = amount.as_tuple()
    mantissa = int("".join(map(str, digits)))
    exponent = int(raw_exponent)  # finite: quantities are never NaN or infinite
    while mantissa >= 10 and mantissa % 10 == 0:
        mantissa, exponent = mantissa // 10, exponent + 1
    shift = exponent % 3
    mantissa, exponent = mantissa * 10**shift, exponent - shift
    text = f"{'-' if sign else ''}{mantissa}"
    if quantity_format is _Format.DECIMAL_SI and exponent in _DECIMAL_SUFFIXES:
        return text + _DECIMAL_SUFFIXES[exponent]
    return text if exponent == 0 else f"{text}e{exponent}"
