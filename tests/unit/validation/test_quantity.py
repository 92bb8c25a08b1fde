"""The Kubernetes quantity parser: the value Go's resource.ParseQuantity yields, or a refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from airunway_operator.validation import quantity

KI, MI, GI, TI = 2**10, 2**20, 2**30, 2**40


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("0", 0, id="zero"),
        pytest.param("1", 1, id="a plain integer"),
        pytest.param(42, 42, id="an integer value"),
        pytest.param("500m", Decimal("0.5"), id="milli"),
        pytest.param("1.5", Decimal("1.5"), id="a decimal fraction"),
        pytest.param(".5", Decimal("0.5"), id="a fraction without integer part"),
        pytest.param("1.", 1, id="a trailing dot"),
        pytest.param("+2", 2, id="an explicit plus"),
        pytest.param("-2", -2, id="a negative value"),
        pytest.param("007", 7, id="leading zeros"),
        pytest.param("100n", Decimal("0.0000001"), id="nano"),
        pytest.param("3u", Decimal("0.000003"), id="micro"),
        pytest.param("2k", 2000, id="kilo"),
        pytest.param("2M", 2 * 10**6, id="mega"),
        pytest.param("2G", 2 * 10**9, id="giga"),
        pytest.param("2T", 2 * 10**12, id="tera"),
        pytest.param("2P", 2 * 10**15, id="peta"),
        pytest.param("2E", 2 * 10**18, id="exa"),
        pytest.param("1Ki", KI, id="kibi"),
        pytest.param("1Mi", MI, id="mebi"),
        pytest.param("1Gi", GI, id="gibi"),
        pytest.param("4Ti", 4 * TI, id="tebi"),
        pytest.param("1Pi", 2**50, id="pebi"),
        pytest.param("1.5Gi", GI * 3 // 2, id="a fractional binary value"),
        pytest.param("1e3", 1000, id="an exponent"),
        pytest.param("1E3", 1000, id="an upper-case exponent"),
        pytest.param("5e-3", Decimal("0.005"), id="a negative exponent"),
        pytest.param("2e+2", 200, id="a signed positive exponent"),
        pytest.param("0.0000000001", Decimal("1e-9"), id="values round up to one nano"),
        pytest.param("-0.0000000001", Decimal("-1e-9"), id="negative values round away from zero"),
        pytest.param("1e30", 2**63 - 1, id="values are capped at the int64 maximum"),
        pytest.param("1e2147483647", 2**63 - 1, id="the largest exponent is capped too"),
        pytest.param("-", 0, id="a bare sign is zero, as in Go"),
        pytest.param("Gi", 0, id="a bare suffix is zero, as in Go"),
        pytest.param(".", 0, id="a bare dot is zero, as in Go"),
    ],
)
def test_parses(text: str | int, value: Decimal | int):
    assert quantity.parse(text) == Decimal(value)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("four", id="a word"),
        pytest.param("1 ", id="trailing space"),
        pytest.param(" 1", id="leading space"),
        pytest.param("1.5.5", id="two dots"),
        pytest.param("1e1.5", id="a fractional exponent"),
        pytest.param("1e", id="an exponent without digits"),
        pytest.param("1e2147483648", id="an exponent beyond int32"),
        pytest.param("1kK", id="an unknown suffix"),
        pytest.param("1ki", id="a lower-case binary suffix"),
        pytest.param("5m5", id="digits after a suffix"),
        pytest.param("1Gi ", id="a suffix followed by space"),
        pytest.param("\u0661", id="a non-ASCII digit"),
        pytest.param(True, id="a boolean"),
        pytest.param(1.5, id="a float"),
    ],
)
def test_refuses(text: object):
    with pytest.raises(quantity.QuantityError):
        quantity.parse(text)  # type: ignore[arg-type]
    assert quantity.try_parse(text) is None


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("1Gi", "1024Mi", id="binary units"),
        pytest.param("1k", "1000", id="decimal units"),
        pytest.param("0.5", "500m", id="fractions"),
        pytest.param("4Ti", "4096Gi", id="the memory ceiling"),
        pytest.param("1e3", "1k", id="exponents"),
    ],
)
def test_equal_values_compare_equal(left: str, right: str):
    assert quantity.parse(left) == quantity.parse(right)
