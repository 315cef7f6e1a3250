"""A whole term range summed with the chunk runner's blocks and accumulator: the reference
the tests compare chunks, resumed chunks and reducers against."""

from pipeline.methods.leibniz.kernel import PartialSum, SumAccumulator, blocks, pairs_sum


def range_sum(start: int, stop: int) -> PartialSum:
    """Sum of (-1)^k/(2k+1) for start <= k < stop (even ends), with its error bound."""
    acc = SumAccumulator()
    for a, b in blocks(start, stop):
        acc.add(pairs_sum(a // 2, b // 2))
    return acc.total()
