"""How a leibniz-euler job is cut: M series terms, K Euler-number correction terms and the
precision P that make the bracket fix the digits asked for. Pure math, no I/O.

The remainder after K correction terms is below |E_2K| / (4^K M^(2K+1)) (``series.py``).
"""

import math
from dataclasses import dataclass
from functools import cached_property

import gmpy2


@dataclass(frozen=True)
class EulerPlan:
    digits: int
    terms: int  # M, even
    correction_terms: int  # K
    precision: int  # P: W = 10^P

    @cached_property
    def scale(self) -> int:
        # Computed once: a chunk asks for it thousands of times.
        return int(gmpy2.mpz(10) ** self.precision)


# Digits beyond the rounding guard, so a run of 9s or 0s after the cut (six 9s at the Feynman
# point, decimal 762) is usually settled in one pass.
RUN_GUARD = 12


def guard_digits(terms: int, correction_terms: int, extra: int = RUN_GUARD) -> int:
    return math.ceil(math.log10(2 * terms + correction_terms + 1)) + 3 + extra


def log10_secant(k: int) -> float:
    """log10 |E_2k| by Stirling: |E_2k| ~ 8 sqrt(k/pi) (4k/(pi e))^(2k)."""
    if k == 0:
        return 0.0
    return math.log10(8 * math.sqrt(k / math.pi)) + 2 * k * math.log10(4 * k / (math.pi * math.e))


def correction_terms_needed(digits: int, terms: int) -> int | None:
    """Smallest K whose remainder bound is below 10^-(digits+3), or None past the ceiling."""
    target = -(digits + 3)
    best = math.inf
    for k in range(0, 10 * digits + 50):
        bound = log10_secant(k) - k * math.log10(4) - (2 * k + 1) * math.log10(terms)
        if bound < target:
            return k
        if bound > best:  # the asymptotic series has started to diverge
            return None
        best = bound
    return None


def plan(digits: int, extra: int = RUN_GUARD) -> EulerPlan:
    """M = digits^2/100 (even): the sum is cheap by binary splitting and spreads over
    workers, while the Euler numbers cost ~K^2.75 on one core, so a larger M buys a
    smaller K. ``extra`` digits of precision settle runs of 9s or 0s after the cut."""
    terms = max(1000, 2 * math.ceil(digits * digits / 200))
    while (k := correction_terms_needed(digits + extra, terms)) is None:
        terms *= 2
    return EulerPlan(digits, terms, k, digits + guard_digits(terms, k, extra))
