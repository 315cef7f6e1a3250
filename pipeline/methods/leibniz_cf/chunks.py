"""What one chunk computes: a range of the series or a range of the fraction's depth."""

from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_cf.fraction import Matrix, range_product
from pipeline.methods.leibniz_cf.plan import CfPlan
from pipeline.methods.leibniz_cf.series import series_sum


def series_chunk(p: CfPlan, start: int, stop: int) -> FixedSum:
    """W * sum of terms start <= k < stop of the Leibniz series, floored (even ends)."""
    return series_sum(p.scale, start, stop, p.series_block)


def depth_chunk(p: CfPlan, start: int, stop: int) -> Matrix:
    """The product of the fraction's matrices for start <= k < stop."""
    return range_product(p.terms, start, stop)
