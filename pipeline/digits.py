"""Exact decimal truncation: digits are cut from rationals, never from floats."""

from fractions import Fraction

import gmpy2


def truncated_units(value: Fraction, digits: int) -> int:
    """floor(value * 10**digits), exactly."""
    return int(value.numerator * 10**digits // value.denominator)


def format_truncated(value: Fraction, digits: int) -> str:
    """``value`` cut (not rounded) to ``digits`` decimals: '3.141' for digits=3, '3' for 0."""
    if value < 0:
        raise ValueError(f"expected a non-negative value, got {value}")
    return format_units(truncated_units(value, digits), digits)


def format_units(units: int, digits: int) -> str:
    """The decimal text of units / 10**digits."""
    sign = "-" if units < 0 else ""
    # gmpy2 prints integers of any length (Python's str() stops at 4,300 digits).
    text = gmpy2.mpz(abs(units)).digits(10).rjust(digits + 1, "0")
    whole, frac = text[: len(text) - digits], text[len(text) - digits :]
    return f"{sign}{whole}.{frac}" if digits else f"{sign}{whole}"


def format_rounded(value: Fraction, digits: int, *, upward: bool) -> str:
    """``value`` to ``digits`` decimals, rounded down or up (for the ends of an interval)."""
    scaled = value * 10**digits
    units = -(-scaled.numerator // scaled.denominator) if upward else truncated_units(value, digits)
    return format_units(units, digits)


def cut_outward(lower: str, upper: str, decimals: int) -> tuple[str, str]:
    """The bracket (lower, upper) of non-negative decimals, each end cut to ``decimals``
    places away from the other, so the shorter bracket still holds whatever the long one did."""
    return _cut(lower, decimals, upward=False), _cut(upper, decimals, upward=True)


def _cut(text: str, decimals: int, *, upward: bool) -> str:
    whole, _, frac = text.partition(".")
    kept, dropped = frac[:decimals], frac[decimals:]
    units = int(whole + kept.ljust(decimals, "0"))
    if upward and dropped.strip("0"):
        units += 1
    return format_units(units, decimals)
