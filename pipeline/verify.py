"""Independent check of the digits against mpmath's pi."""

import mpmath

from pipeline.digits import format_units

# Guard digits: the truncation is exact unless pi has this many 9s in a row after the cut.
_GUARD = 20


def reference_digits(digits: int) -> str:
    """pi truncated to ``digits`` decimals, computed by mpmath."""
    with mpmath.workdps(digits + _GUARD):
        units = int(mpmath.floor(mpmath.pi * mpmath.mpf(10) ** digits))
    return format_units(units, digits)
