"""Many tiny jobs from concurrent clients: jobs per second and submit latency, beside the
same shape of job on plain Celery measured in the same run.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/throughput.py
    .venv/bin/python bench/throughput.py --jobs 400 --clients 16 --api-processes 2   # embedded

pichord: one worker x 2 processes and an API of --api-processes processes; --jobs n=1 jobs
(POST /tasks) sent by --clients clients (coroutines), each with its own connection, as fast
as answers come. Jobs/s is the jobs over the time from the first submission to the last
SUCCESS (read from the jobs' own stoptimes). Submit latency is each POST's time to its 202.
The API processes share one listening socket: how the clients' connections fell to them is
printed too, as an uneven split bounds the latency.

plain Celery (the anchor): a worker of 2 processes and a chord of one task and a reducer per
job, sent from as many threads (a Celery client's own threads: their GIL waits are part of
its send time), results in Redis; with the Redis broker, and with RabbitMQ's
when PICHORD_BROKER_URL is set.

Both print the CPU each role spent per job (this script's clients or senders included), so
the two can be compared role by role.

--phases runs pichord's two halves apart instead: the jobs submitted while the worker is
stopped, then the worker draining them alone; each half's rate shows which side bounds a run.
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx2
from celery import chord
from plain_celery import REDIS, make_app
from service import (
    REPO,
    broker_name,
    connections_per_api_process,
    cpu_by_role,
    cpu_of_worker,
    delete_queue,
    running_service,
    wait_finished,
    worker_processes,
)

BENCH = Path(__file__).resolve().parent
# Jobs each client sends before a run is timed (pichord and the anchor alike).
WARM_UP_ROUNDS = 4


def spread(jobs: int, clients: int, send: Callable[[int], float]) -> list[float]:
    """Run ``send`` for job numbers 0..jobs-1 over ``clients`` threads; their latencies."""
    latencies: list[float] = []
    numbers = iter(range(jobs))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            latency = send(number)
            with lock:
                latencies.append(latency)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def pichord(jobs: int, clients: int, api_processes: int) -> None:
    with tiny_job_service(jobs, clients, api_processes) as (client, state):
        before = cpu_by_role(state)
        run = submit_tiny_jobs(client, jobs, clients, count_connections=state)
        submitted = cpu_by_role(state)
        elapsed = (last_stop(client, run.ids) - run.started).total_seconds()
        ended = cpu_by_role(state)
        print(
            f"pichord, {broker_name()}, {api_processes} API processes: {jobs} n=1 jobs from "
            f"{clients} clients in {elapsed:.2f} s = {jobs / elapsed:.0f} jobs/s; submit "
            f"{latency_figures(run.latencies)}; connections per API process "
            f"{'/'.join(map(str, run.connections))}"
        )
        print_cpu_per_job(jobs, before, submitted, ended)


def phases(jobs: int, clients: int, api_processes: int) -> None:
    """The two halves of ``pichord`` apart: the jobs submitted while the worker is stopped
    (SIGSTOP), so the API has the cores to itself; then the worker resumed, draining them
    alone. Their times add up to about the run's when both halves saturate the cores."""
    with tiny_job_service(jobs, clients, api_processes) as (client, state):
        worker = worker_processes(state)
        for process in worker:
            process.suspend()
        try:
            before = cpu_by_role(state)
            run = submit_tiny_jobs(client, jobs, clients)
            submitted = cpu_by_role(state)
        finally:
            resumed = datetime.now().astimezone()
            for process in worker:
                process.resume()
        print(
            f"pichord, {broker_name()}, workers stopped: {jobs} n=1 jobs submitted by "
            f"{clients} clients in {run.seconds:.2f} s = {jobs / run.seconds:.0f} jobs/s; "
            f"submit {latency_figures(run.latencies)}"
        )
        print_cpu_per_job(jobs, before, submitted, submitted)
        drained = (last_stop(client, run.ids) - resumed).total_seconds()
        ended = cpu_by_role(state)
        print(
            f"pichord, {broker_name()}, the worker resumed: the {jobs} jobs done in "
            f"{drained:.2f} s = {jobs / drained:.0f} jobs/s"
        )
        # The API's CPU here is the polls for the jobs' ends.
        print_cpu_per_job(jobs, submitted, ended, ended)


@contextlib.contextmanager
def tiny_job_service(
    jobs: int, clients: int, api_processes: int
) -> Iterator[tuple[httpx2.Client, Path]]:
    """A service that takes ``jobs`` at once (no rate limit, room for all), warmed up."""
    warm_up = WARM_UP_ROUNDS * clients
    settings = {
        "submit_rate_limit": "",
        "max_pending_jobs": str(jobs + warm_up + 10),
        "max_pending_jobs_per_client": str(jobs + warm_up + 10),
    }
    with running_service(2, api_processes=api_processes, **settings) as (client, state):
        # From as many connections as the run uses, so that every API process has answered
        # some (one connection would reach one of them) and has its broker connections.
        last_stop(client, submit_tiny_jobs(client, warm_up, clients).ids)
        time.sleep(2)
        yield client, state


def port_of(client: httpx2.Client) -> int:
    port = client.base_url.port
    assert port is not None  # the service's URL names its port
    return port


@dataclass
class TinyJobsRun:
    ids: list[str]
    latencies: list[float]
    # When the first job was sent (the clients connected), and seconds to the last answer.
    started: datetime
    seconds: float
    # Open connections per API process, most first, counted before the clients closed them.
    connections: list[int]


def submit_tiny_jobs(
    client: httpx2.Client, jobs: int, clients: int, count_connections: Path | None = None
) -> TinyJobsRun:
    """Submit ``jobs`` n=1 jobs from ``clients`` connections at once, counting how those
    connections fell to the API processes of the service on state dir ``count_connections``.

    The clients are coroutines on one event loop rather than threads: the answers of 16
    threads of one process wait for its GIL before their clocks stop, which added 10-20 ms to
    the p99 they measured (wrk, which measures with C threads, agreed with the coroutines)."""
    return asyncio.run(_submit_concurrently(client, jobs, clients, count_connections))


async def _submit_concurrently(
    client: httpx2.Client, jobs: int, clients: int, count_connections: Path | None
) -> TinyJobsRun:
    ids: list[str] = []
    latencies: list[float] = []
    numbers = iter(range(jobs))

    async def one_client(http: httpx2.AsyncClient) -> None:
        while next(numbers, None) is not None:
            start = time.perf_counter()
            response = await http.post("/tasks", json={"digits": 1})
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])

    async with contextlib.AsyncExitStack() as stack:
        # A connection per client, opened one after another before the clock starts: clients
        # that all connect in the same millisecond mostly land on whichever API process is
        # awake (14/2 of 16 in runs that did; see connections_per_api_process).
        https = []
        for _ in range(clients):
            http = httpx2.AsyncClient(
                base_url=client.base_url, timeout=60, limits=httpx2.Limits(max_connections=1)
            )
            https.append(await stack.enter_async_context(http))
            (await http.get("/health")).raise_for_status()
        started, start = datetime.now().astimezone(), time.perf_counter()
        await asyncio.gather(*(one_client(http) for http in https))
        seconds = time.perf_counter() - start
        connections = (
            []
            if count_connections is None
            else connections_per_api_process(count_connections, port_of(client))
        )
    return TinyJobsRun(ids, latencies, started, seconds, connections)


def last_stop(client: httpx2.Client, ids: list[str]) -> datetime:
    """The latest stoptime of the jobs, once every one succeeded."""
    stops = []
    for job_id in ids:
        body = wait_finished(client, job_id, poll=0.05)
        assert body["status"] == "SUCCESS", body
        stops.append(datetime.fromisoformat(str(body["stoptime"])))
    return max(stops)


def latency_figures(latencies: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def print_cpu_per_job(
    jobs: int, before: dict[str, float], submitted: dict[str, float], ended: dict[str, float]
) -> None:
    """CPU milliseconds per job by role. The API's and this script's are counted while the
    jobs were being submitted (afterwards both only poll for the ends); the workers' and the
    brokers' until the last job ended, which includes the waits between polls."""
    used = {
        role: (
            (submitted if role in ("API", "this script") else ended).get(role, 0.0)
            - before.get(role, 0.0)
        )
        * 1000
        / jobs
        for role in ended
    }
    print("  CPU ms per job: " + ", ".join(f"{role} {ms:.2f}" for role, ms in sorted(used.items())))


def plain_celery(jobs: int, clients: int, broker: str, label: str) -> None:
    queue = f"plain-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PLAIN_BROKER": broker, "PLAIN_BACKEND": REDIS, "PLAIN_QUEUE": queue}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "plain_worker",
            "worker",
            "-c",
            "2",
            "--loglevel",
            "WARNING",
            "-n",
            f"{queue}@%h",
        ],
        cwd=BENCH,
        env={**env, "PYTHONPATH": f"{BENCH}:{REPO}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app = make_app(broker, REDIS, queue)
    part, total = app.signature("plain.part"), app.signature("plain.total")
    try:
        results = []

        def send(n: int) -> float:
            start = time.perf_counter()
            results.append(chord([part.clone(args=(n,))])(total.clone()))
            return time.perf_counter() - start

        # Warmed up as pichord is: its sender threads open their broker connections.
        spread(WARM_UP_ROUNDS * clients, clients, send)
        for result in results:
            result.get(timeout=60)
        results.clear()
        start = time.perf_counter()
        before = cpu_of_worker(worker.pid)
        latencies = spread(jobs, clients, send)
        submitted = cpu_of_worker(worker.pid)
        for result in results:
            result.get(timeout=120)
        elapsed = time.perf_counter() - start
        ended = cpu_of_worker(worker.pid)
        print(
            f"plain Celery, {label} broker, Redis results: {jobs} chords from {clients} "
            f"threads in {elapsed:.2f} s = {jobs / elapsed:.0f} jobs/s; send p50 "
            f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
            f"{percentile(latencies, 0.99) * 1000:.1f} ms"
        )
        print_cpu_per_job(jobs, before, submitted, ended)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        app.close()
        delete_queue(broker, queue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument(
        "--phases",
        action="store_true",
        help="instead: submitting with the worker stopped, then the worker draining alone",
    )
    args = parser.parse_args()
    if args.phases:
        phases(args.jobs, args.clients, args.api_processes)
        return
    pichord(args.jobs, args.clients, args.api_processes)
    plain_celery(args.jobs, args.clients, REDIS, "Redis")
    rabbitmq = os.environ.get("PICHORD_BROKER_URL")
    if rabbitmq:
        plain_celery(args.jobs, args.clients, rabbitmq, "RabbitMQ")


if __name__ == "__main__":
    main()
