"""A big store: N finished jobs retained, created straight through the job store (not the
API), then what the API costs on it.

    .venv/bin/python bench/store.py [--jobs 100000] [--state DIR]

Jobs are n=3 `leibniz` jobs as the service ends them (digits, certificate and final progress
in the record) with one finished chunk file, submitted one a second back from now (a day
holds 86,400), so retention has old ones to remove. With --state
an existing bench store is reused (creating 100,000 jobs takes minutes: two fsyncs each).
Prints: disk per job; the API's start (`uvicorn` until /health answers); `GET /tasks` first
page, `?status=SUCCESS`, `?status=PROGRESS` and one job, medians of 20; then a retention
sweep (in a process of its own, as a worker runs it) that removes the older half while
`GET /tasks/{id}` is polled, its time and the polls' p50/p99.
"""

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from service import REPO, free_port

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.retention import remove_expired
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import Certificate, FinalProgress

# What the service stores for an n=3 job: S_N below pi and S_N+1 above it.
TERMS = 2522
LOWER = 4 * sum((-1) ** k / (2 * k + 1) for k in range(TERMS))
UPPER = LOWER + 4 / (2 * TERMS + 1)


def create_jobs(state: Path, count: int) -> None:
    """Finished jobs as the service ends them: digits, certificate and final progress in
    the record (so that reading one needs no chunk file), one chunk file beside it."""
    store = JobStore(state)
    now = datetime.now(UTC)
    certificate = Certificate(
        terms=TERMS,
        lower=f"{LOWER:.16f}",
        upper=f"{UPPER:.16f}",
        rounds=1,
        details={"float_error_bound": 1e-15},
    )
    for n in range(count):
        created = now - timedelta(seconds=count - n)
        job = JobRecord(
            id=str(uuid.uuid4()),
            method="leibniz",
            digits=3,
            pushqtime=created,
            terms_total=TERMS,
            chunks=[ChunkSpec(index=0, start=0, stop=TERMS)],
            dispatches=1,
        )
        store.create(job)
        store.save_chunk(
            job.id,
            ChunkRecord(index=0, start=0, stop=TERMS, status=JobStatus.SUCCESS, terms_done=TERMS),
        )
        final = FinalProgress(
            starttime=created,
            percent=100.0,
            terms_done=TERMS,
            terms_total=TERMS,
            chunks_done=1,
            chunks_total=1,
        )
        ended = {
            "status": JobStatus.SUCCESS,
            "stoptime": created + timedelta(seconds=1),
            **store.save_result(job.id, "3.141"),
            "certificate": certificate,
            "final": final,
            "verified": True,
        }
        store.update(job.id, lambda j, ended=ended: j.model_copy(update=ended))
        if n % 10_000 == 9_999:
            print(f"  {n + 1} jobs created", flush=True)


def disk_bytes(state: Path) -> int:
    total = 0
    for root, _, files in os.walk(state):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_blocks * 512
        total += os.lstat(root).st_blocks * 512
    return total


def median_ms(client: httpx2.Client, path: str, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--state", type=Path)
    args = parser.parse_args()
    state = args.state or Path(tempfile.mkdtemp(prefix="pichord-store-"))
    existing = len(os.listdir(state / "jobs")) if (state / "jobs").is_dir() else 0
    if existing < args.jobs:
        print(f"creating {args.jobs - existing} finished jobs in {state}", flush=True)
        create_jobs(state, args.jobs - existing)
    jobs = len(os.listdir(state / "jobs"))
    print(f"{jobs} jobs; disk {disk_bytes(state) / jobs / 1024:.1f} KiB per job (blocks used)")

    port = free_port()
    env = {**os.environ, "PICHORD_STATE_DIR": str(state), "PICHORD_RETENTION_DAYS": "7"}
    start = time.perf_counter()
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.05)
        print(f"API start: {time.perf_counter() - start:.2f} s")
        one = client.get("/tasks", params={"limit": 1}).json()["tasks"][0]["id"]
        for label, path in (
            ("GET /tasks", "/tasks"),
            ("GET /tasks?status=SUCCESS", "/tasks?status=SUCCESS"),
            ("GET /tasks?status=PROGRESS", "/tasks?status=PROGRESS"),
            ("GET /tasks/{id}", f"/tasks/{one}"),
        ):
            print(f"{label}: median {median_ms(client, path):.1f} ms")
        sweep(state, client, one)
    finally:
        api.terminate()
        api.wait(timeout=60)
    if args.state is None:
        shutil.rmtree(state, ignore_errors=True)


def sweep(state: Path, client: httpx2.Client, job_id: str) -> None:
    """Remove the older half (retention set to half the span) while one job is polled. The
    sweep runs in a process of its own, as in a worker: polling from the process that
    sweeps would take the sweep's interpreter lock, which no API client does."""
    store = JobStore(state)
    newest = store.get(store.newest_first()[0]).pushqtime
    oldest = store.get(store.newest_first()[-1]).pushqtime
    days = (newest - oldest).total_seconds() / 2 / 86_400
    polls: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"/tasks/{job_id}")
            polls.append(time.perf_counter() - started)
            time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        removed, seconds = pool.submit(remove_expired_jobs, state, days).result()
    stop.set()
    poller.join()
    ordered = sorted(polls)
    print(
        f"retention sweep: {removed} jobs removed in {seconds:.1f} s; GET /tasks/{{id}} "
        f"meanwhile p50 {statistics.median(ordered) * 1000:.1f} ms, p99 "
        f"{ordered[int(0.99 * (len(ordered) - 1))] * 1000:.1f} ms ({len(ordered)} polls)"
    )


def remove_expired_jobs(state: Path, retention_days: float) -> tuple[int, float]:
    """The sweep a worker's `pichord.cleanup` runs: jobs removed and its seconds."""
    app = create_celery_app(Settings(state_dir=state, retention_days=retention_days))
    store = JobStore(state)
    started = time.perf_counter()
    removed = remove_expired(app, store)
    return len(removed), time.perf_counter() - started


if __name__ == "__main__":
    main()
