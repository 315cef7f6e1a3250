"""One core: the chunk kernel's terms per second vs. the seed's pure-Python loop.

.venv/bin/python bench/kernel.py
"""

import time

from pipeline.leibniz import HEAD_PAIRS, range_sum, warm_up


def seed_loop(terms: int) -> float:
    total = 0.0
    for k in range(terms):
        total += (-1) ** k / (2 * k + 1)
    return 4 * total


def rate(fn: object, terms: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(terms)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return terms / best


def main() -> None:
    warm_up()
    base = 2 * HEAD_PAIRS
    kernel = rate(lambda n: range_sum(base, base + n), 8 * 10**9)
    head = rate(lambda n: range_sum(0, n), 2 * HEAD_PAIRS)
    seed = rate(seed_loop, 2 * 10**6)
    print(f"kernel (numba, 4 pairs/division): {kernel / 1e9:6.2f} G terms/s on one core")
    print(f"head (first 2^17 terms, fsum):     {head / 1e6:6.2f} M terms/s")
    print(f"seed's pure-Python loop:           {seed / 1e6:6.2f} M terms/s")
    print(f"kernel / seed:                     {kernel / seed:8.0f}x")


if __name__ == "__main__":
    main()
