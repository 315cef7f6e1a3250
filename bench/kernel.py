"""One core: the chunk kernel against the division limit and the seed's pure-Python loop.

.venv/bin/python bench/kernel.py

The division limit is a numba loop of the same compile flags doing one division per pair of
terms and little else: x steps as a float, because converting int64 to double has no vector
instruction before AVX-512, and a loop computing float(j) for every pair runs at about half
the division rate on AVX2 (printed too, as the conversion-bound loop). The kernel shares one
division among eight pairs. Rates use this thread's CPU time, so other processes on a shared
machine do not stretch them; the kernel and the loops alternate, and the kernel's ratio to
the limit is taken round by round. Each figure is the median (min-max) over the rounds.
"""

import statistics
import time
from collections.abc import Callable

import numba

from pipeline.methods.leibniz.kernel import (
    HEAD_PAIRS,
    PartialSum,
    SumAccumulator,
    blocks,
    pairs_sum,
    warm_up,
)

ROUNDS = 7
SEED_ROUNDS = 3


@numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)
def one_division_per_pair(j0: int, j1: int) -> float:  # pragma: no cover - compiled
    total = 0.0
    x = 4.0 * float(j1 - 1) + 2.0
    for _ in range(j1 - j0):
        total += 2.0 / (x * x - 1.0)
        x -= 4.0
    return total


@numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)
def one_division_per_pair_converting(j0: int, j1: int) -> float:  # pragma: no cover - compiled
    total = 0.0
    for j in range(j1 - 1, j0 - 1, -1):
        x = 4.0 * float(j) + 2.0
        total += 2.0 / (x * x - 1.0)
    return total


def seed_loop(terms: int) -> float:
    total = 0.0
    for k in range(terms):
        total += (-1) ** k / (2 * k + 1)
    return 4 * total


def range_sum(start: int, stop: int) -> PartialSum:
    """Terms [start, stop) as a chunk sums them: the kernel block by block, then fsum."""
    acc = SumAccumulator()
    for a, b in blocks(start, stop):
        acc.add(pairs_sum(a // 2, b // 2))
    return acc.total()


def rate(fn: Callable[[], object], terms: int) -> float:
    start = time.thread_time()
    fn()
    return terms / (time.thread_time() - start)


def row(name: str, found: list[float], unit: float, suffix: str) -> str:
    return (
        f"{name:<44} {statistics.median(found) / unit:8.2f} {suffix}"
        f"  ({min(found) / unit:.2f}-{max(found) / unit:.2f})"
    )


def main() -> None:
    warm_up()
    one_division_per_pair(0, 8)
    one_division_per_pair_converting(0, 8)
    base = 2 * HEAD_PAIRS
    j = base // 2
    kernel_terms, limit_terms = 8 * 10**9, 2 * 10**9
    kernel: list[float] = []
    limit: list[float] = []
    converting: list[float] = []
    head: list[float] = []
    for _ in range(ROUNDS):
        kernel.append(rate(lambda: range_sum(base, base + kernel_terms), kernel_terms))
        limit.append(rate(lambda: one_division_per_pair(j, j + limit_terms // 2), limit_terms))
        converting.append(
            rate(
                lambda: one_division_per_pair_converting(j, j + limit_terms // 4),
                limit_terms // 2,
            )
        )
        head.append(rate(lambda: range_sum(0, base), base))
    seed = [rate(lambda: seed_loop(2 * 10**6), 2 * 10**6) for _ in range(SEED_ROUNDS)]
    ratios = [k / lim for k, lim in zip(kernel, limit, strict=True)]

    print(f"one core, thread CPU time, median (min-max) of {ROUNDS} rounds")
    print(row("kernel (range_sum, 8 pairs/division)", kernel, 1e9, "G terms/s"))
    print(row("division limit (1 division/pair)", limit, 1e9, "G terms/s"))
    print(row("the same, converting float(j) per pair", converting, 1e9, "G terms/s"))
    print(row("head (first 2^17 terms, fsum)", head, 1e6, "M terms/s"))
    print(row("seed's pure-Python loop", seed, 1e6, "M terms/s"))
    print(
        f"kernel / division limit: {statistics.median(ratios):.2f}x median of rounds "
        f"({min(ratios):.2f}-{max(ratios):.2f})   "
        f"kernel / seed: {statistics.median(kernel) / statistics.median(seed):,.0f}x"
    )


if __name__ == "__main__":
    main()
