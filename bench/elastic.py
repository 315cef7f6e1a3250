"""Workers that join a running job, and workers of unequal speed, on one n=11 job.

    .venv/bin/python bench/elastic.py join       # embedded broker
    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/elastic.py join
    .venv/bin/python bench/elastic.py unequal

join: one worker process alone, then the same with a one-process worker joining JOIN_AT
seconds after the submission (its own core). With T1 the lone time, the ideal with the
joiner is JOIN_AT + (T1 - JOIN_AT) / 2, and the joiner's gain is (T1 - T2) / (T1 - ideal).

unequal: two one-process workers, each pinned to its own core, one sharing its core with a
busy loop (about half speed). The ideal is the job's terms over the sum of the two
processes' speeds, each measured from its own chunks (terms / run); the job's time is
compared with it. A warm-up job first measures the kernel speed the chunks are cut from.
"""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service import broker_name, running_service, server_seconds, start_worker, wait_finished

from storage import JobStore

DIGITS = 11
JOIN_AT = 4.0


def run_job(client: object, digits: int = DIGITS) -> dict[str, object]:
    job_id = client.get(f"/leibnic/{digits}").json()["id"]  # type: ignore[attr-defined]
    body = wait_finished(client, job_id, 0.5)  # type: ignore[arg-type]
    assert body["status"] == "SUCCESS", body
    return body


def chunks_by_node(state: Path, job_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in JobStore(state).chunks(job_id).values():
        node = str(record.worker).split("@")[0]
        counts[node] = counts.get(node, 0) + 1
    return counts


def speeds_by_node(state: Path, job_id: str) -> dict[str, float]:
    terms: dict[str, float] = {}
    busy: dict[str, float] = {}
    for record in JobStore(state).chunks(job_id).values():
        if record.attempt_start is None or record.stoptime is None:
            continue
        node = str(record.worker).split("@")[0]
        terms[node] = terms.get(node, 0) + (record.stop - record.start)
        busy[node] = busy.get(node, 0) + (record.stoptime - record.attempt_start).total_seconds()
    return {node: terms[node] / busy[node] for node in terms if busy[node] > 0}


@contextmanager
def stopping(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(60)


@contextmanager
def busy_loop(cpu: str) -> Iterator[None]:
    loop = subprocess.Popen(["taskset", "-c", cpu, sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        loop.kill()
        loop.wait()


def join() -> None:
    print(
        f"n={DIGITS}, one process, a one-process worker joining at {JOIN_AT:g} s; {broker_name()}"
    )
    with running_service(1, cpus="0", submit_rate_limit="") as (client, _):
        run_job(client, 10)
        alone = server_seconds(run_job(client))
    with running_service(1, cpus="0", submit_rate_limit="") as (client, state):
        run_job(client, 10)
        job_id = client.get(f"/leibnic/{DIGITS}").json()["id"]
        submitted = time.monotonic()
        time.sleep(max(0.0, JOIN_AT - (time.monotonic() - submitted)))
        with stopping(start_worker(state, "joiner", 1, "1")):
            body = wait_finished(client, job_id, 0.5)
        joined = server_seconds(body)
        counts = chunks_by_node(state, job_id)
    ideal = JOIN_AT + (alone - JOIN_AT) / 2
    gain = (alone - joined) / (alone - ideal)
    print(f"alone {alone:.1f} s; with the joiner {joined:.1f} s; ideal {ideal:.1f} s")
    print(f"chunks by worker: {counts}")
    print(f"joiner's gain: {100 * gain:.0f} % of the possible")


def unequal() -> None:
    print(f"n={DIGITS}, two one-process workers, one beside a busy loop; {broker_name()}")
    with running_service(1, cpus="0", submit_rate_limit="") as (client, state):
        with stopping(start_worker(state, "slow", 1, "1")), busy_loop("1"):
            run_job(client, 10)
            body = run_job(client)
        job_id = str(body["id"])
        took = server_seconds(body)
        speeds = speeds_by_node(state, job_id)
        counts = chunks_by_node(state, job_id)
        terms = JobStore(state).get(job_id).terms_total
    ideal = terms / sum(speeds.values())
    print("speeds (G terms/s):", {node: round(speed / 1e9, 1) for node, speed in speeds.items()})
    print(f"chunks by worker: {counts}")
    print(f"job {took:.1f} s, ideal {ideal:.1f} s: {100 * (took / ideal - 1):+.1f} %")


def main() -> None:
    modes = {"join": join, "unequal": unequal}
    mode = sys.argv[1] if len(sys.argv) > 1 else "join"
    if mode not in modes:
        raise SystemExit(f"unknown mode {mode!r}; use one of {', '.join(modes)}")
    modes[mode]()


if __name__ == "__main__":
    main()
