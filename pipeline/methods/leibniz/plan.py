"""How many terms of the plain series a request needs, and how a short job grows."""

import math

import mpmath

# Over-provision the estimate so float error and rounding of N never force a second round.
_TERMS_MARGIN = 1.02
_TERMS_EXTRA = 16
# A job that must be extended grows by this factor per round.
EXTENSION_FACTOR = 1.5


def _even_ceil(value: float) -> int:
    n = math.ceil(value)
    return n + (n % 2)


def terms_needed(digits: int) -> int:
    """Terms N (even) after which the Leibniz bracket fixes ``digits`` truncated decimals.

    The bracket around pi has half-width about 1/N, so N must exceed 1/d, d being pi's
    distance to the nearest truncation boundary. This estimate only guides the plan; the
    certificate is computed from the sums themselves.
    """
    if digits < 0:
        raise ValueError(f"digits must be non-negative, got {digits}")
    with mpmath.workdps(digits + 30):
        scaled = mpmath.pi * mpmath.mpf(10) ** digits
        fraction = scaled - mpmath.floor(scaled)
        distance = min(fraction, 1 - fraction) / mpmath.mpf(10) ** digits
        return _even_ceil(float(_TERMS_MARGIN / distance)) + _TERMS_EXTRA


def extended_terms(terms: int) -> int:
    return _even_ceil(terms * EXTENSION_FACTOR)
