"""leibniz-cf's work cut into equal parts, the way the tests and bench/cf_math.py compute it
in one process (a job's chunks are laid out by pipeline.methods.leibniz_cf.planner)."""

from dataclasses import dataclass

from pipeline.methods.fixed_point import FixedSum
from pipeline.methods.leibniz_cf.fraction import Matrix, range_product
from pipeline.methods.leibniz_cf.plan import CfPlan, even_cuts
from pipeline.methods.leibniz_cf.series import series_sum


@dataclass(frozen=True)
class Split:
    """Chunks: series term ranges [start, stop) on the series grid and depth ranges
    [start, stop) covering [1, depth + 1), both in order."""

    series: tuple[tuple[int, int], ...]
    depth: tuple[tuple[int, int], ...]


def split(p: CfPlan, workers: int) -> Split:
    """Both ranges cut into ``workers`` equal parts. Any split gives the same bracket:
    series chunks end on the pieces' grid, and the depth chunks' products multiply to the
    same matrix."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return Split(
        series=even_cuts(0, p.terms, workers, 2 * p.series_block),
        depth=even_cuts(1, p.depth + 1, workers, 1),
    )


def series_chunk(p: CfPlan, start: int, stop: int) -> FixedSum:
    """W * sum of terms start <= k < stop of the Leibniz series, floored (even ends)."""
    return series_sum(p.scale, start, stop, p.series_block)


def depth_chunk(p: CfPlan, start: int, stop: int) -> Matrix:
    """The product of the fraction's matrices for start <= k < stop."""
    return range_product(p.terms, start, stop)
