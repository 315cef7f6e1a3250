"""leibniz-cf's mathematics in one process, no Celery: n = 10^4, 10^5, 3*10^5, 10^6.

    .venv/bin/python bench/cf_math.py                  # every n, each in a fresh process
    .venv/bin/python bench/cf_math.py --digits 100000  # one n

For each n: the plan (M, depth, P); CPU seconds of every series and depth chunk of the 2-worker
split, the reducer's product and its two divisions, the digits' text, and the check against
mpmath (its pi at n + 20 digits, then a string compare); peak RSS; and mpmath's own pi at n
digits, timed cold in a separate process. The 2-process estimate is a greedy schedule of the
chunks in queue order (depth chunks first) on 2 processes plus the reducer's sequential work;
Celery's own overhead is not in it. CPU seconds rather than wall: the machine is shared.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import mpmath

REPO = Path(__file__).resolve().parents[1]
# The even split of the work lives with the tests that check it gives the same bracket.
sys.path.insert(0, str(REPO))

from pipeline.digits import format_units  # noqa: E402
from pipeline.methods.fixed_point import ZERO  # noqa: E402
from pipeline.methods.leibniz_cf.certificate import pi_bracket  # noqa: E402
from pipeline.methods.leibniz_cf.fraction import convergents, tail_bracket  # noqa: E402
from pipeline.methods.leibniz_cf.merge import ordered_product  # noqa: E402
from pipeline.methods.leibniz_cf.plan import plan  # noqa: E402
from pipeline.verify import reference_digits  # noqa: E402
from tests.pipeline.methods.leibniz_cf.even_split import (  # noqa: E402
    depth_chunk,
    series_chunk,
    split,
)

DIGITS = (10_000, 100_000, 300_000, 1_000_000)
WORKERS = 2
T = TypeVar("T")


def timed(f: Callable[..., T], *args: Any) -> tuple[float, T]:
    start = time.process_time()
    result = f(*args)
    return time.process_time() - start, result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def schedule(costs: list[float], workers: int) -> float:
    """Each chunk goes to the first free worker, in queue order (prefetch 1)."""
    loads = [0.0] * workers
    for cost in costs:
        loads[loads.index(min(loads))] += cost
    return max(loads)


def measure(digits: int) -> dict[str, Any]:
    p = plan(digits)
    s = split(p, WORKERS)
    wall = time.perf_counter()
    depth_times, products = [], []
    for a, b in s.depth:
        t, m = timed(depth_chunk, p, a, b)
        depth_times.append(t)
        products.append(m)
    series_times, sums = [], []
    for a, b in s.series:
        t, v = timed(series_chunk, p, a, b)
        series_times.append(t)
        sums.append(v)
    rss_chunks = peak_rss_mib()
    t_product, product = timed(ordered_product, products)
    t_divide, tail = timed(tail_bracket, convergents(product, p.depth), p.precision)
    del product
    bracket = pi_bracket(digits, p.terms, sum(sums, ZERO), tail)
    t_text, text = timed(bracket.certified_digits)
    wall_math = time.perf_counter() - wall
    rss_math = peak_rss_mib()
    verify_start = time.perf_counter()
    t_verify, reference = timed(reference_digits, digits)
    verify_wall = time.perf_counter() - verify_start
    reducer = t_product + t_divide + t_text + t_verify
    one = sum(depth_times) + sum(series_times) + reducer
    two = schedule(depth_times + series_times, WORKERS) + reducer
    # mpmath's pi as one more chunk beside the others: the reducer then only compares text.
    two_parallel_verify = schedule([*depth_times, *series_times, t_verify], WORKERS) + (
        reducer - t_verify
    )
    return {
        "digits": digits,
        "M": p.terms,
        "depth": p.depth,
        "P": p.precision,
        "series": sum(series_times),
        "fraction": sum(depth_times),
        "chunks": [round(t, 3) for t in depth_times + series_times],
        "product": t_product,
        "divide": t_divide,
        "text": t_text,
        "verify": t_verify,
        "verify_wall": verify_wall,
        "one": one,
        "two": two,
        "two_without_verify": two - t_verify,
        "two_parallel_verify": two_parallel_verify,
        "one_without_verify": one - t_verify,
        "wall_math": wall_math,
        "rss_chunks": rss_chunks,
        "rss_math": rss_math,
        "rss_verify": peak_rss_mib(),
        "certified": text is not None,
        "equal": text == reference,
    }


def mpmath_pi(digits: int) -> float:
    """Cold: mpmath caches pi, so this runs in a process that has not computed it."""
    start = time.process_time()
    with mpmath.workdps(digits):
        units = int(mpmath.floor(mpmath.pi * mpmath.mpf(10) ** digits))
    format_units(units, digits)
    return time.process_time() - start


def child(digits: int, what: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--digits", str(digits), "--child", what],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--digits", type=int, action="append")
    parser.add_argument("--child", choices=["measure", "mpmath"])
    args = parser.parse_args()
    if args.child == "measure":
        print(json.dumps(measure(args.digits[0])))
        return
    if args.child == "mpmath":
        print(json.dumps({"mpmath": mpmath_pi(args.digits[0])}))
        return
    print(
        f"{'n':>9} {'M':>9} {'depth':>8} {'P':>9} | {'series':>6} {'fract':>6} {'prod':>5} "
        f"{'div':>5} {'text':>5} {'verify':>6} | {'1 proc':>6} {'2 proc':>6} {'speedup':>7} "
        f"{'mpmath':>6} {'ratio':>5} | {'RSS MiB':>7} ok"
    )
    for digits in args.digits or DIGITS:
        r = child(digits, "measure")
        r.update(child(digits, "mpmath"))
        print(
            f"{digits:>9,} {r['M']:>9,} {r['depth']:>8,} {r['P']:>9,} | {r['series']:6.3f} "
            f"{r['fraction']:6.3f} {r['product']:5.3f} {r['divide']:5.3f} {r['text']:5.3f} "
            f"{r['verify']:6.3f} | {r['one']:6.3f} {r['two']:6.3f} "
            f"{r['one'] / r['two']:6.2f}x {r['mpmath']:6.3f} {r['two'] / r['mpmath']:5.1f} | "
            f"{r['rss_verify']:7.0f} {r['equal']}",
            flush=True,
        )
        print(
            f"{'':>9}   chunks (depth, then series) {r['chunks']}; without verify: 1 proc "
            f"{r['one_without_verify']:.3f}, 2 proc {r['two_without_verify']:.3f} "
            f"({r['one_without_verify'] / r['two_without_verify']:.2f}x); peak RSS after chunks "
            f"{r['rss_chunks']:.0f} MiB, after reduce {r['rss_math']:.0f} MiB; "
            f"verify wall {r['verify_wall']:.3f} s; math wall {r['wall_math']:.3f} s; "
            f"verify as a chunk: 2 proc {r['two_parallel_verify']:.3f} "
            f"({r['one'] / r['two_parallel_verify']:.2f}x)",
            flush=True,
        )


if __name__ == "__main__":
    main()
