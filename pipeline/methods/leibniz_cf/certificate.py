"""pi's bracket from the series and the tail, and the digits it certifies.

pi = S_M + (-1)^M T_M, with value <= W S_M < value + error from the series chunks and
lower < W T_M < upper from the continued fraction, W = 10^P. The digits are certified when
both ends truncate to the same D decimals; otherwise nothing is returned (a depth too short,
or a run of 9s or 0s straddling the cut that needs the next attempt's precision). Pure math.
"""

from dataclasses import dataclass

import gmpy2

from pipeline.digits import format_units
from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_cf.fraction import TailBracket


@dataclass(frozen=True)
class PiBracket:
    """lower < 10^precision * pi < upper."""

    digits: int
    precision: int
    lower: int
    upper: int

    @property
    def _cut(self) -> int:
        return int(10 ** (self.precision - self.digits))

    def certified_digits(self) -> str | None:
        """pi truncated to D decimals, or None if the bracket does not fix them."""
        low, high = self.lower // self._cut, self.upper // self._cut
        if low != high:
            return None
        return format_units(low, self.digits)

    def resolves_cut(self) -> bool:
        """Narrower than one unit of the last digit: a refusal then means a run of 9s or 0s
        after the cut (more precision settles it), not a depth too short."""
        return self.upper - self.lower < self._cut

    def end_text(self, decimals: int) -> tuple[str, str]:
        """Both ends rounded outward to ``decimals`` (at most P) decimals."""
        if not 0 <= decimals <= self.precision:
            raise ValueError(f"decimals must be between 0 and P = {self.precision}, got {decimals}")
        unit = int(gmpy2.mpz(10) ** (self.precision - decimals))
        return format_units(self.lower // unit, decimals), format_units(
            -(-self.upper // unit), decimals
        )

    def ends_beside(self, digits_text: str, extra: int) -> tuple[str, str]:
        """Both ends to ``extra`` decimals past the certified ones, rounded outward, given
        the certified digits' text: only the last decimals are new, which spares converting
        two numbers of a million digits. Falls back to ``end_text`` where that does not hold."""
        decimals = self.digits + extra
        if self.digits == 0 or decimals > self.precision:
            return self.end_text(min(decimals, self.precision))
        unit = gmpy2.mpz(10) ** (self.precision - decimals)
        lead = (self.lower // self._cut) * 10**extra
        low = int(self.lower // unit - lead)
        high = int(-(-self.upper // unit) - lead)
        if not 0 <= low <= high < 10**extra:
            return self.end_text(decimals)
        # Both ends extend the certified digits, so both start with their text.
        return f"{digits_text}{low:0{extra}d}", f"{digits_text}{high:0{extra}d}"


def pi_bracket(digits: int, terms: int, series: FixedSum, tail: TailBracket) -> PiBracket:
    if not 0 <= digits <= tail.precision:
        raise ValueError(f"digits must be between 0 and P = {tail.precision}, got {digits}")
    if terms % 2:
        lower = series.value - tail.upper
        upper = series.value + series.error - tail.lower
    else:
        lower = series.value + tail.lower
        upper = series.value + series.error + tail.upper
    return PiBracket(digits, tail.precision, lower, upper)
