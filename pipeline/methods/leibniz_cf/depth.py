"""How deep the continued fraction must go for a given width of T_M's bracket.

Two consecutive convergents differ by prod a_k / (Q_n Q_{n-1}) with prod_{k<=n} a_k =
2 ((n-1)!)^2, and Q_k / Q_{k-1} = r_k = 2M + a_k / r_{k-1} stays within a few parts in a million of
its fixed point M + sqrt(M^2 + a_k) (a_k grows slowly). Summing the logarithm of the fixed point
in closed form gives the width at any depth in O(1); the estimate is pushed up by a margin
checked against the exact recurrence in the tests. Pure math, no I/O.
"""

import math

_LOG10_E = math.log10(math.e)

# Checked against the exact float recurrence for M from 1 to 10^7 and widths down to
# 10^-1,000,000: the fixed-point estimate is off by at most a few steps in the worst case
# (n >> M).
_RELATIVE_MARGIN = 0.002
_ABSOLUTE_MARGIN = 16


def _log_ratio_integral(terms: int, x: float) -> float:
    """integral_0^x ln(M + sqrt(M^2 + t^2)) dt."""
    m = float(terms)
    return x * math.log(m + math.hypot(m, x)) - x + m * math.asinh(x / m)


def _ln_denominator(terms: int, depth: int) -> float:
    """ln Q_depth, from r_1 = 2M and the fixed points for k = 2 .. depth (midpoint rule)."""
    if depth == 0:
        return 0.0
    g = _log_ratio_integral
    return math.log(2 * terms) + g(terms, depth - 0.5) - g(terms, 0.5)


def log10_width(terms: int, depth: int) -> float:
    """Estimated log10 |P_n/Q_n - P_{n-1}/Q_{n-1}| at depth n >= 1."""
    ln_numerators = math.log(2) + 2 * math.lgamma(depth)
    ln_width = ln_numerators - _ln_denominator(terms, depth) - _ln_denominator(terms, depth - 1)
    return ln_width * _LOG10_E


def depth_needed(terms: int, decimals: float) -> int:
    """A depth (with margin) whose convergents differ by less than 10^-decimals."""
    if terms < 1:
        raise ValueError(f"M must be at least 1, got {terms}")
    high = 1
    while log10_width(terms, high) >= -decimals:
        high *= 2
    low = high // 2
    # Smallest n with width below the target: the width falls monotonically with n.
    while high - low > 1:
        middle = (low + high) // 2
        if log10_width(terms, middle) < -decimals:
            high = middle
        else:
            low = middle
    return math.ceil(high * (1 + _RELATIVE_MARGIN)) + _ABSOLUTE_MARGIN
