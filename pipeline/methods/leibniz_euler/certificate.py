"""pi's bracket from a leibniz-euler job's exact sums, the digits it certifies, and the
job's certificate. Pure math, no I/O."""

from dataclasses import dataclass

from pipeline.digits import format_units
from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_euler.models import EulerCertificate, EulerChunk
from pipeline.methods.leibniz_euler.plan import EulerPlan
from pipeline.rounds import BRACKET_EXTRA_DECIMALS
from storage.records import Certificate


def common_prefix_digits(lower: int, upper: int, precision: int, digits: int) -> str | None:
    """The longest decimal prefix (at most ``digits`` decimals) shared by every value in
    [lower, upper] / 10^precision, or None if not even the integer part is fixed."""
    low = format_units(lower, precision)
    high = format_units(upper, precision)
    point = low.index(".")
    if low[:point] != high[:point]:
        return None
    end = min(point + 1 + digits, len(low), len(high))
    shared = point + 1
    while shared < end and low[shared] == high[shared]:
        shared += 1
    return low[:shared] if shared > point + 1 else low[:point]


@dataclass(frozen=True)
class EulerBracket:
    plan: EulerPlan
    lower: int  # W*pi > lower
    upper: int  # W*pi < upper

    @property
    def _cut(self) -> int:
        """Units of 1/W per unit of the last certified decimal."""
        return int(10 ** (self.plan.precision - self.plan.digits))

    def certifies(self) -> bool:
        return self.lower // self._cut == self.upper // self._cut

    def digits(self) -> str:
        if not self.certifies():
            raise ValueError(f"the bracket does not fix {self.plan.digits} digits")
        return format_units(self.lower // self._cut, self.plan.digits)


def bracket(plan: EulerPlan, series: FixedSum, tail: FixedSum) -> EulerBracket:
    """W*pi from the M-term sum and the tail (correction with its remainder), M even."""
    if plan.terms % 2:
        raise ValueError(f"M must be even for the tail's sign, got {plan.terms}")
    lower = series.value + tail.value - 1
    upper = series.value + series.error + tail.value + tail.error + 1
    return EulerBracket(plan, lower, upper)


def certificate(
    chosen: EulerPlan, result: EulerBracket, tail: EulerChunk, rounds: int
) -> Certificate:
    decimals = chosen.digits + BRACKET_EXTRA_DECIMALS
    cut = 10 ** (chosen.precision - decimals)
    figures = EulerCertificate(
        correction_terms=chosen.correction_terms,
        precision=chosen.precision,
        remainder_bound=tail.remainder_bound,
    )
    return figures.certificate(
        chosen.terms,
        format_units(result.lower // cut, decimals),
        format_units(-(-result.upper // cut), decimals),
        rounds,
    )
