"""One core: the chunk kernel against the division limit and the seed's pure-Python loop.

.venv/bin/python bench/kernel.py

The division limit is a numba loop of the same compile flags doing one division per pair of
terms (a vdivpd-bound loop); the kernel shares one division among four pairs. Each figure is
the median (min-max) of 5 runs.
"""

import statistics
import time

import numba

from pipeline.methods.leibniz.kernel import HEAD_PAIRS, range_sum, warm_up

RUNS = 5


@numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)
def one_division_per_pair(j0: int, j1: int) -> float:  # pragma: no cover - compiled
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


def rates(fn: object, terms: int) -> list[float]:
    found = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn(terms)  # type: ignore[operator]
        found.append(terms / (time.perf_counter() - start))
    return found


def row(name: str, found: list[float], unit: float, suffix: str) -> str:
    return (
        f"{name:<38} {statistics.median(found) / unit:8.2f} {suffix}"
        f"  ({min(found) / unit:.2f}-{max(found) / unit:.2f})"
    )


def main() -> None:
    warm_up()
    one_division_per_pair(0, 8)
    base = 2 * HEAD_PAIRS
    kernel = rates(lambda n: range_sum(base, base + n), 8 * 10**9)
    limit = rates(lambda n: one_division_per_pair(base // 2, (base + n) // 2), 4 * 10**9)
    head = rates(lambda n: range_sum(0, n), 2 * HEAD_PAIRS)
    seed = rates(seed_loop, 2 * 10**6)
    print(f"one core, median (min-max) of {RUNS} runs")
    print(row("kernel (numba, 4 pairs/division)", kernel, 1e9, "G terms/s"))
    print(row("division limit (1 division/pair)", limit, 1e9, "G terms/s"))
    print(row("head (first 2^17 terms, fsum)", head, 1e6, "M terms/s"))
    print(row("seed's pure-Python loop", seed, 1e6, "M terms/s"))
    k, lim, sd = (statistics.median(v) for v in (kernel, limit, seed))
    print(f"kernel / division limit: {k / lim:.2f}x   kernel / seed: {k / sd:,.0f}x")


if __name__ == "__main__":
    main()
