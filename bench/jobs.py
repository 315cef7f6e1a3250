"""Wall times of whole jobs through HTTP, a worker with 2 pool processes, and the broker.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/jobs.py
    .venv/bin/python bench/jobs.py            # embedded broker

Prints the median submit -> SUCCESS latency of small jobs (n=3) and the wall time of n=9
and n=10. Starts and stops its own worker and API on loopback.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("service did not start")


def run_job(client: httpx2.Client, digits: int) -> tuple[float, str]:
    start = time.perf_counter()
    job_id = client.get(f"/leibnic/{digits}").json()["id"]
    while True:
        body = client.get(f"/tasks/{job_id}").json()
        if body["status"] in ("SUCCESS", "FAILURE", "REVOKED"):
            return time.perf_counter() - start, str(body.get("result"))
        time.sleep(0.005)


def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="pichord-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "PICHORD_STATE_DIR": str(state),
        "PICHORD_QUEUE": f"bench-{port}",
        "PICHORD_WORKER_CONCURRENCY": "2",
    }
    log = (state / "bench.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pipeline.worker",
            "worker",
            "-c",
            "2",
            "-n",
            f"bench{port}@%h",
            "--loglevel",
            "WARNING",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.main:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until(lambda: client.get("/openapi.json").status_code == 200, 60)
            run_job(client, 3)  # first job: workers load the kernel
            broker = "RabbitMQ" if env.get("PICHORD_BROKER_URL") else "embedded"
            small = [run_job(client, 3)[0] for _ in range(20)]
            print(f"broker: {broker}, 1 worker x 2 processes")
            print(
                f"n=3 submit->SUCCESS: median {statistics.median(small) * 1000:.0f} ms, "
                f"max {max(small) * 1000:.0f} ms (20 jobs)"
            )
            for digits in (9, 10):
                seconds, result = run_job(client, digits)
                print(f"n={digits}: {seconds:.2f} s -> {result}")
    finally:
        for proc in (api, worker):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        log.close()


if __name__ == "__main__":
    main()
