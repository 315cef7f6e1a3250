"""leibniz-euler end to end: n = 1,000 / 5,000 / 10,000 / 20,000 through the API.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/euler.py
    .venv/bin/python bench/euler.py            # embedded broker

One worker with 2 pool processes on a fresh state dir. Each n runs twice: cold (its Euler
numbers are computed, the cache grows) and warm (read from the cache). For each run: wall
time submit -> SUCCESS; busy time of the series chunks, the Euler numbers and the correction
sum; the reducer (last chunk -> SUCCESS); and the Celery overhead: the job's own time
(pushqtime -> stoptime, free of the client's polling interval) beyond an ideal schedule of
the same chunks on 2 processes. Then the same math in this one process with no
Celery, and the work the split added (chunks' busy time over the single-process time).
"""

import time
from datetime import datetime

import httpx2
from service import broker_name, running_service, seconds, wait_finished

from pipeline.methods.leibniz_euler.certificate import bracket
from pipeline.methods.leibniz_euler.euler_numbers import secant_numbers
from pipeline.methods.leibniz_euler.plan import plan
from pipeline.methods.leibniz_euler.series import pair_sum, tail

DIGITS = (1000, 5000, 10000, 20000)
PROCESSES = 2
# A client polling every 20 ms, for the wall column; on 2 cores a tighter loop competes with
# the workers.
POLL_SECONDS = 0.02


def run(client: httpx2.Client, digits: int) -> dict[str, float]:
    start = time.perf_counter()
    created = client.post("/tasks", json={"method": "leibniz-euler", "digits": digits})
    job_id = created.json()["id"]
    body = wait_finished(client, job_id, POLL_SECONDS)
    wall = time.perf_counter() - start
    server = seconds(body["pushqtime"], body["stoptime"])
    if body["status"] != "SUCCESS" or body.get("verified") is not True:
        raise SystemExit(f"n={digits} ended {body['status']}: {body.get('error')}")
    chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    series = sum(seconds(c["starttime"], c["stoptime"]) for c in chunks if c["kind"] == "series")
    correction_chunk = next(c for c in chunks if c["kind"] == "correction")
    correction_total = seconds(correction_chunk["starttime"], correction_chunk["stoptime"])
    euler = float(correction_chunk["euler_seconds"])
    last_chunk = max(datetime.fromisoformat(c["stoptime"]) for c in chunks)
    reduce = (datetime.fromisoformat(str(body["stoptime"])) - last_chunk).total_seconds()
    ideal = max(correction_total, (series + correction_total) / PROCESSES)
    return {
        "wall": wall,
        "server": server,
        "series": series,
        "euler": euler,
        "correction": correction_total - euler,
        "reduce": reduce,
        "overhead": server - ideal,
        "chunks": len(chunks),
    }


def single_process(digits: int) -> dict[str, float]:
    p = plan(digits)
    t0 = time.perf_counter()
    secants = secant_numbers(p.correction_terms + 1)
    t1 = time.perf_counter()
    series = pair_sum(p.scale, 0, p.terms)
    t2 = time.perf_counter()
    result = bracket(p, series, tail(p, secants))
    t3 = time.perf_counter()
    assert result.certifies()
    return {"euler": t1 - t0, "series": t2 - t1, "correction": t3 - t2}


def main() -> None:
    print(f"broker: {broker_name()}, 1 worker x {PROCESSES} processes, fresh Euler cache")
    header = (
        f"{'n':>6} {'M':>9} {'K':>5} {'run':>4} {'wall s':>7} {'server':>6} {'series':>7} "
        f"{'euler':>6} {'corr':>5} {'reduce':>6} {'overhead':>14} {'1-proc s':>8} "
        f"{'split cost':>10}"
    )
    print(header)
    with running_service(PROCESSES) as (client, _):
        run(client, 10)  # first job: the pool processes import the math
        for digits in DIGITS:
            p = plan(digits)
            reference = single_process(digits)
            for label in ("cold", "warm"):
                r = run(client, digits)
                ref = reference["series"] + reference["correction"]
                if label == "cold":
                    ref += reference["euler"]
                busy = r["series"] + r["euler"] + r["correction"]
                print(
                    f"{digits:>6} {p.terms:>9} {p.correction_terms:>5} {label:>4} "
                    f"{r['wall']:>7.2f} {r['server']:>6.2f} {r['series']:>7.2f} {r['euler']:>6.2f} "
                    f"{r['correction']:>5.2f} {r['reduce']:>6.2f} "
                    f"{r['overhead']:>6.2f} ({100 * r['overhead'] / r['server']:>4.1f}%) "
                    f"{ref:>8.2f} {100 * (busy / ref - 1):>9.1f}%"
                )


if __name__ == "__main__":
    main()
