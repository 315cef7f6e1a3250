"""Progress without polling: how soon a long poll and an event stream learn that a job ended,
what 1,000 waiting requests cost the API, and what 500 subscribers cost a running job.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/push.py

1. Latency: --jobs small jobs (n=3) one after another; for each, GET /tasks/{id}?wait=30 sent
   right after the submission, and a stream of /tasks/{id}/events; each answer's (or `end`
   event's) arrival is compared with the job's own stoptime (one clock: same host).
2. Waiters: 1,000 WAITING jobs written through the store (no worker takes them), one long
   poll on each; the API process's CPU over --hold seconds while they all wait.
3. Subscribers: a job's run time (pushqtime -> stoptime; --method and --digits, by default
   leibniz-cf at 3,000,000 digits, some seconds on two processes) alone and with 500 streams
   of its events, alternating --runs times; the ratio of the medians.
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path

import psutil
from service import running_service, server_seconds, wait_finished

from storage import ChunkSpec, JobRecord, JobStore


async def http_get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data


async def stream_until_end(port: int, path: str) -> tuple[float, dict[str, object]]:
    """Read an event stream until its `end` event: when it arrived, and its data."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    await writer.drain()
    event = ""
    while line := await reader.readline():
        text = line.decode().strip()
        if text.startswith("event: "):
            event = text[7:]
        elif text.startswith("data: ") and event == "end":
            arrived = time.time()
            writer.close()
            return arrived, json.loads(text[6:])
    raise RuntimeError(f"{path}: the stream closed before its end event")


def after_stop(arrived: float, body: dict[str, object]) -> float:
    return arrived - datetime.fromisoformat(str(body["stoptime"])).timestamp()


def body_of(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    if b"transfer-encoding: chunked" in head.lower():
        body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]
    parsed: dict[str, object] = json.loads(body)
    return parsed


def api_process(port: int) -> psutil.Process:
    for proc in psutil.Process().children(recursive=True):
        if "uvicorn" in " ".join(proc.cmdline()) and str(port) in proc.cmdline():
            return proc
    raise RuntimeError("no API process found")


async def latency(port: int, submit: "object", jobs: int) -> tuple[list[float], list[float]]:
    polls, streams = [], []
    for _ in range(jobs):
        job_id = await asyncio.to_thread(submit)  # type: ignore[arg-type]
        poll = asyncio.create_task(http_get(port, f"/tasks/{job_id}?wait=30"))
        stream = asyncio.create_task(stream_until_end(port, f"/tasks/{job_id}/events"))
        answer = await poll
        polled_at = time.time()
        body = body_of(answer)
        assert body["status"] == "SUCCESS", body
        polls.append(after_stop(polled_at, body))
        streams.append(after_stop(*(await stream)))
    return polls, streams


async def waiters(port: int, job_ids: list[str], hold: float) -> float:
    """CPU share of one core the API process spent while every job had a long poll."""
    tasks = [asyncio.create_task(http_get(port, f"/tasks/{j}?wait=60")) for j in job_ids]
    await asyncio.sleep(3)  # every request in and waiting
    api = api_process(port)
    before = sum(api.cpu_times()[:2])
    await asyncio.sleep(hold)
    used = sum(api.cpu_times()[:2]) - before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return used / hold


def waiting_jobs(state: Path, count: int) -> list[str]:
    store = JobStore(state)
    ids = []
    for _ in range(count):
        job = JobRecord(
            id=str(uuid.uuid4()),
            method="leibniz",
            digits=3,
            terms_total=2522,
            chunks=[ChunkSpec(index=0, start=0, stop=2522)],
        )
        store.create(job)
        ids.append(job.id)
    return ids


async def subscribed_run(port: int, submit: "object", subscribers: int) -> float:
    job_id = await asyncio.to_thread(submit)  # type: ignore[arg-type]
    streams = [
        asyncio.create_task(stream_until_end(port, f"/tasks/{job_id}/events"))
        for _ in range(subscribers)
    ]
    answer = body_of(await http_get(port, f"/tasks/{job_id}?wait=60"))
    if streams:
        await asyncio.gather(*streams)
    return server_seconds(answer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--waiters", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=10.0)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--method", default="leibniz-cf")
    parser.add_argument("--digits", type=int, default=3_000_000)
    args = parser.parse_args()
    settings = {
        "submit_rate_limit": "",
        "max_pending_jobs": str(args.waiters + 50),
    }
    with running_service(2, **settings) as (client, state):
        port = client.base_url.port
        assert port is not None

        def submit(digits: int = 3, method: str = "leibniz") -> str:
            created = client.post("/tasks", json={"digits": digits, "method": method})
            assert created.status_code == 202, created.text
            return str(created.json()["id"])

        wait_finished(client, submit(), 0.1)  # the workers load the kernel
        polls, streams = asyncio.run(latency(port, submit, args.jobs))
        ms = [1000 * v for v in polls]
        print(
            f"long poll after stoptime, {args.jobs} n=3 jobs: median {statistics.median(ms):.0f}"
            f" ms, max {max(ms):.0f} ms"
        )
        ms = [1000 * v for v in streams]
        print(
            f"stream's end event after stoptime: median {statistics.median(ms):.0f} ms, max "
            f"{max(ms):.0f} ms"
        )

        runs: dict[int, list[float]] = {0: [], args.subscribers: []}
        for _ in range(args.runs):
            for subscribers, times in runs.items():
                big = lambda: submit(args.digits, args.method)  # noqa: E731
                times.append(asyncio.run(subscribed_run(port, big, subscribers)))
        alone, watched = (statistics.median(t) for t in runs.values())
        print(
            f"{args.method} {args.digits:,} alone {alone:.2f} s, with {args.subscribers} "
            f"subscribers {watched:.2f} s "
            f"(medians of {args.runs}): {100 * (watched / alone - 1):+.1f} %"
        )

        share = asyncio.run(waiters(port, waiting_jobs(state, args.waiters), args.hold))
        print(
            f"{args.waiters} long polls waiting on as many jobs: API process at "
            f"{100 * share:.1f} % of one core"
        )


if __name__ == "__main__":
    main()
