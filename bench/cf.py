"""leibniz-cf end to end: n = 10^4, 10^5, 3*10^5, 10^6 through the API, against mpmath's pi.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/cf.py
    .venv/bin/python bench/cf.py --digits 100000     # one size, embedded broker

For each n, ``--runs`` times on a fresh service (one worker, 2 pool processes, a new state
dir; nothing is cached by this method, and mpmath's pi is cached only inside a process):
server time (pushqtime -> stoptime) split into the busy time of the series chunks, the depth
chunks and the chunk computing mpmath's digits for the check, and the reducer (last chunk ->
SUCCESS: the ordered product, two divisions, the digits); the same job on 1 process, each
run right after its 2-process twin (speedup: the ratio of the medians, and the range of the
runs' own ratios); mpmath's own pi to n digits computed cold in a fresh process; the worker
processes' peak memory (VmHWM); and GET /tasks/{id} on the finished job (median of 30). Then
leibniz-euler at 20,000 digits on the 2-process service, for comparison.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from service import (
    POLL_SECONDS,
    broker_name,
    running_service,
    seconds,
    server_seconds,
    wait_finished,
)

from pipeline.methods.leibniz_cf.models import CfPlanParams
from storage import JobStore
from storage.records import ChunkKind

DIGITS = (10_000, 100_000, 300_000, 1_000_000)
MPMATH_PI = (
    "import sys, time, mpmath\n"
    "n = int(sys.argv[1]); start = time.perf_counter()\n"
    "with mpmath.workdps(n + 10):\n"
    "    text = mpmath.nstr(+mpmath.pi, n + 5, strip_zeros=False)\n"
    "print(time.perf_counter() - start)\n"
)


def mpmath_pi_seconds(digits: int) -> float:
    """Cold: mpmath caches pi, so it runs in a process that has not computed it."""
    out = subprocess.run(
        [sys.executable, "-c", MPMATH_PI, str(digits)], check=True, capture_output=True, text=True
    )
    return float(out.stdout)


def peak_mib(pids: set[int]) -> float:
    """The largest peak resident size among the worker processes (VmHWM)."""
    peaks = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
        peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def run(client: httpx2.Client, state: Path, method: str, digits: int) -> dict[str, float]:
    created = client.post("/tasks", json={"method": method, "digits": digits})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    body = wait_finished(client, job_id, POLL_SECONDS)
    assert body["status"] == "SUCCESS" and body["verified"] is True, str(body)[:300]
    chunks = JobStore(state).chunks(job_id)
    job = JobStore(state).get(job_id)
    kinds = {spec.index: spec.kind for spec in job.chunks}
    busy = dict.fromkeys(ChunkKind, 0.0)
    for index, record in chunks.items():
        busy[kinds[index]] += seconds(record.starttime, record.stoptime)
    last = max(str(r.stoptime) for r in chunks.values())
    polls = []
    for _ in range(30):
        start = time.perf_counter()
        assert client.get(f"/tasks/{job_id}").status_code == 200
        polls.append(time.perf_counter() - start)
    return {
        "server": server_seconds(body),
        "series": busy[ChunkKind.SERIES],
        "fraction": busy[ChunkKind.CORRECTION],
        "reference": busy[ChunkKind.REFERENCE],
        "reduce": seconds(last, body["stoptime"]),
        "peak": peak_mib({r.pid for r in chunks.values() if r.pid is not None}),
        "poll": statistics.median(polls),
        # Only a leibniz-cf job has a depth; the comparison runs leibniz-euler too.
        "depth": float(CfPlanParams.of(job).depth) if method == "leibniz-cf" else 0.0,
        "terms": float(job.terms_total),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--digits", type=int, action="append")
    parser.add_argument(
        "--runs", type=int, default=3, help="fresh 2- and 1-process services per size, in turn"
    )
    args = parser.parse_args()
    sizes = args.digits or DIGITS
    print(
        f"broker: {broker_name()}; 1 worker, a fresh service per run; medians of {args.runs} "
        "runs (the chunk columns from the median 2-process run)"
    )
    print(
        f"{'n':>9} {'M':>9} {'depth':>8} {'server 2p':>9} {'series':>7} {'fraction':>8} "
        f"{'mpmath chunk':>12} "
        f"{'reduce':>7} {'1 proc':>7} {'speedup':>7} {'range':>11} {'mpmath':>7} {'ratio':>6} "
        f"{'peak MiB':>8} {'GET ms':>7}"
    )
    settings = {"cf_max_digits": str(max(sizes)), "euler_max_digits": "20000"}
    for digits in sizes:
        runs: dict[int, list[dict[str, float]]] = {2: [], 1: []}
        for _ in range(args.runs):
            # Alternating, so a slow spell of the machine falls on both.
            for processes, done in runs.items():
                with running_service(processes, **settings) as (client, state):
                    run(client, state, "leibniz-cf", 10)  # the pool processes import the math
                    done.append(run(client, state, "leibniz-cf", digits))
        # The lower middle run of each (for an even --runs too), so both are real runs.
        two = sorted(runs[2], key=lambda r: r["server"])[(len(runs[2]) - 1) // 2]
        one_server = statistics.median_low(r["server"] for r in runs[1])
        ratios = [o["server"] / t["server"] for o, t in zip(runs[1], runs[2], strict=True)]
        reference = mpmath_pi_seconds(digits)
        print(
            f"{digits:>9,} {int(two['terms']):>9,} {int(two['depth']):>8,} "
            f"{two['server']:>9.2f} {two['series']:>7.2f} {two['fraction']:>8.2f} "
            f"{two['reference']:>12.2f} "
            f"{two['reduce']:>7.2f} {one_server:>7.2f} {one_server / two['server']:>6.2f}x "
            f"{min(ratios):>5.2f}-{max(ratios):.2f}x "
            f"{reference:>7.2f} {two['server'] / reference:>5.1f}x {two['peak']:>8.0f} "
            f"{1000 * two['poll']:>7.1f}"
        )
    with running_service(2, **settings) as (client, state):
        run(client, state, "leibniz-euler", 10)
        euler = run(client, state, "leibniz-euler", 20_000)
    print(
        f"{'leibniz-euler 20,000 (cold Euler numbers)':>45}: server {euler['server']:.2f} s, "
        f"peak {euler['peak']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
