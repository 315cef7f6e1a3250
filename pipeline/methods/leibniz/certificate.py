"""Certify the digits of pi from a Leibniz partial sum.

For even N, S_N = 4 * sum_{k<N} (-1)^k/(2k+1) satisfies S_N < pi < S_{N+1} = S_N + 4/(2N+1)
(alternating series with decreasing terms). The computed sum is within a proven float error
bound of S_N/4, so pi lies strictly inside (lower, upper) below; the digits are certified when
both ends truncate to the same decimals.
"""

from dataclasses import dataclass
from fractions import Fraction

from pipeline.digits import format_rounded, format_truncated, truncated_units

# Decimals shown for the ends of the bracket in a certificate.
BRACKET_DECIMALS = 20


@dataclass(frozen=True)
class Bracket:
    terms: int
    lower: Fraction
    upper: Fraction
    float_error_bound: Fraction

    def certifies(self, digits: int) -> bool:
        return truncated_units(self.lower, digits) == truncated_units(self.upper, digits)

    def digits(self, digits: int) -> str:
        if not self.certifies(digits):
            raise ValueError(f"the bracket from {self.terms} terms does not fix {digits} digits")
        return format_truncated(self.lower, digits)

    def lower_text(self) -> str:
        return format_rounded(self.lower, BRACKET_DECIMALS, upward=False)

    def upper_text(self) -> str:
        return format_rounded(self.upper, BRACKET_DECIMALS, upward=True)


def pi_bracket(terms: int, quarter_sum: Fraction, error_bound: Fraction) -> Bracket:
    """pi's bracket from quarter_sum ~ sum_{k<terms} (-1)^k/(2k+1), exact within error_bound."""
    if terms <= 0 or terms % 2:
        raise ValueError(f"terms must be a positive even number, got {terms}")
    if error_bound < 0:
        raise ValueError(f"error bound must be non-negative, got {error_bound}")
    lowest_sn = 4 * (quarter_sum - error_bound)
    highest_sn = 4 * (quarter_sum + error_bound)
    return Bracket(
        terms=terms,
        lower=lowest_sn,
        upper=highest_sn + Fraction(4, 2 * terms + 1),
        float_error_bound=4 * error_bound,
    )
