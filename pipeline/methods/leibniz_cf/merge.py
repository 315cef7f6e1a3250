"""The reducer's arithmetic: add the series chunks, multiply the depth chunks in order, divide.

The ordered product is a balanced tree over the chunks; each level's inputs are released as it
goes (the caller passes the list and keeps no other reference), so at most the inputs of one
merge and its result are alive beside the remaining chunks. The two divisions use only W's
length of the convergents (fraction.tail_bracket).
"""

from collections.abc import Sequence

from pipeline.methods.fixed_point import ZERO, FixedSum
from pipeline.methods.leibniz_cf.certificate import PiBracket, pi_bracket
from pipeline.methods.leibniz_cf.fraction import Matrix, convergents, multiply, tail_bracket
from pipeline.methods.leibniz_cf.plan import CfPlan


class DepthCoverageError(ValueError):
    pass


def ordered_product(products: list[Matrix]) -> Matrix:
    """prod products[0] * products[1] * ..., pairing neighbours level by level (this empties
    ``products`` so the chunks' matrices are freed as soon as they are merged)."""
    if not products:
        raise DepthCoverageError("no depth chunks to multiply")
    while len(products) > 1:
        merged = []
        while len(products) >= 2:
            left, right = products.pop(0), products.pop(0)
            merged.append(multiply(left, right))
            del left, right
        merged.extend(products)
        products.clear()
        products.extend(merged)
        del merged
    return products.pop()


def check_coverage(depth: int, ranges: Sequence[tuple[int, int]]) -> None:
    """The depth chunks must tile [1, depth + 1) in order, or the product is some other one."""
    expected = 1
    for start, stop in ranges:
        if start != expected or stop < start:
            raise DepthCoverageError(f"depth chunk [{start}, {stop}) does not start at {expected}")
        expected = stop
    if expected != depth + 1:
        raise DepthCoverageError(f"depth chunks end at {expected}, expected {depth + 1}")


def reduce_chunks(p: CfPlan, series: Sequence[FixedSum], products: list[Matrix]) -> PiBracket:
    """pi's bracket from every series chunk (any order) and every depth chunk (in order)."""
    total = sum(series, ZERO)
    tail = tail_bracket(convergents(ordered_product(products), p.depth), p.precision)
    return pi_bracket(p.digits, p.terms, total, tail)
