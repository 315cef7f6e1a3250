"""A worker and an API on loopback for the benchmarks, stopped when the block ends."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx2
import kombu
import psutil

REPO = Path(__file__).resolve().parents[1]
# How often a benchmark asks whether its job finished. Times come from the job's own
# pushqtime/stoptime, so this sets only how soon the script notices; polling faster would
# put the API and this script on the cores the workers are being measured on (at 20 ms the
# polls cost the two-process runs a share of a core that the one-process runs got free).
POLL_SECONDS = 0.5


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


@contextlib.contextmanager
def running_service(
    processes: int = 2, cpus: str | None = None, api_processes: int = 1, **settings: str
) -> Iterator[tuple[httpx2.Client, Path]]:
    """One worker with ``processes`` pool processes (on ``cpus``, if given) and an API of
    ``api_processes`` processes on one socket, on a fresh state dir; the broker is
    PICHORD_BROKER_URL from the environment (embedded when unset)."""
    state = Path(tempfile.mkdtemp(prefix="pichord-bench-"))
    port = free_port()
    env = bench_env(state, processes, **settings)
    log = (state / "bench.log").open("wb")
    worker = start_worker(state, f"bench{port}", processes, cpus, **settings)
    api = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app"),
            *("--port", str(port), "--log-level", "warning"),
            *("--workers", str(api_processes)),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            wait_until(lambda: client.get("/openapi.json").status_code == 200, 60)
            yield client, state
    finally:
        for proc in (api, worker):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        log.close()
        delete_queue(os.environ.get("PICHORD_BROKER_URL"), env["PICHORD_QUEUE"])
    # Only after a benchmark that ended normally: a failed one leaves its state and logs.
    shutil.rmtree(state, ignore_errors=True)


def delete_queue(broker: str | None, name: str) -> None:
    """Remove a run's queue from a broker that outlives it (each run names its own queue, so
    runs would pile them up); the embedded broker goes with the run's state dir."""
    if broker is None:
        return
    with kombu.Connection(broker) as connection:
        connection.default_channel.queue_delete(name)


def bench_env(state: Path, processes: int, **settings: str) -> dict[str, str]:
    """The service's environment for a benchmark on ``state``; its queue is named after it."""
    return {
        **os.environ,
        "PICHORD_STATE_DIR": str(state),
        "PICHORD_QUEUE": f"bench-{state.name}",
        "PICHORD_WORKER_CONCURRENCY": str(processes),
        **{f"PICHORD_{k.upper()}": v for k, v in settings.items()},
    }


def start_worker(
    state: Path, name: str, processes: int, cpus: str | None = None, **settings: str
) -> subprocess.Popen[bytes]:
    """A worker on ``state``'s service (pinned to ``cpus`` with taskset when given); the
    caller stops it, or ``running_service`` does for its own."""
    command = [
        *(sys.executable, "-m", "celery", "-A", "pipeline.worker", "worker"),
        *("-c", str(processes), "-n", f"{name}@%h", "--loglevel", "WARNING"),
    ]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    with (state / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=bench_env(state, processes, **settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def broker_name() -> str:
    return "RabbitMQ" if os.environ.get("PICHORD_BROKER_URL") else "embedded"


def seconds(start: object, stop: object) -> float:
    """Seconds between two of the API's ISO timestamps."""
    return (datetime.fromisoformat(str(stop)) - datetime.fromisoformat(str(start))).total_seconds()


def server_seconds(body: dict[str, object]) -> float:
    """A finished task's time in the service: submitted (pushqtime) to done (stoptime)."""
    return seconds(body["pushqtime"], body["stoptime"])


def wait_finished(client: httpx2.Client, job_id: str, poll: float = 0.005) -> dict[str, object]:
    while True:
        body: dict[str, object] = client.get(f"/tasks/{job_id}").json()
        if body["status"] in ("SUCCESS", "FAILURE", "REVOKED"):
            return body
        time.sleep(poll)


def worker_processes(state: Path) -> list[psutil.Process]:
    """The worker main and pool processes of ``state``'s service."""
    here = os.getpid()
    return [
        process
        for process in psutil.process_iter(["cmdline", "ppid", "pid"])
        if _role(process, state, here) in ("worker main", "pool processes")
    ]


def connections_per_api_process(state: Path, port: int) -> list[int]:
    """How many open connections to ``port`` each of ``state``'s API processes serves, most
    first. The processes share one listening socket and each connection goes to whichever
    accepts it first, so clients that connect at once may not be spread evenly."""
    here = os.getpid()
    served: dict[int, tuple[int, int]] = {}  # pid: (parent pid, connections)
    for process in psutil.process_iter(["cmdline", "ppid", "pid"]):
        if _role(process, state, here) != "API":
            continue
        with contextlib.suppress(psutil.Error):
            sockets = [c for c in process.net_connections("tcp") if c.laddr.port == port]
            if any(c.status == psutil.CONN_LISTEN for c in sockets):
                established = sum(c.status == psutil.CONN_ESTABLISHED for c in sockets)
                served[process.pid] = (process.info["ppid"], established)
    # uvicorn's supervisor holds the socket too, but only its processes serve on it.
    supervisors = {parent for parent, _ in served.values()}
    return sorted((n for pid, (_, n) in served.items() if pid not in supervisors), reverse=True)


def cpu_by_role(state: Path) -> dict[str, float]:
    """CPU seconds used so far by ``state``'s service processes, RabbitMQ and this script,
    by role: API (uvicorn and the processes it spawned), worker main, pool processes."""
    return cpu_of(lambda process, here: _role(process, state, here))


def cpu_of_worker(worker: int) -> dict[str, float]:
    """CPU seconds used so far by the worker whose main process is ``worker`` (worker main,
    pool processes), RabbitMQ, Redis and this script, by role."""

    def role(process: psutil.Process, here: int) -> str | None:
        if "redis-server" in " ".join(process.info["cmdline"] or []):
            return "Redis"
        if process.info["pid"] == worker:
            return "worker main"
        if process.info["ppid"] == worker:
            return "pool processes"
        return _shared_role(process, here)

    return cpu_of(role)


def cpu_of(role_of: Callable[[psutil.Process, int], str | None]) -> dict[str, float]:
    """CPU seconds (user and system) used so far by the processes ``role_of`` names a role
    for (given the process and this script's pid), summed by role."""
    totals: dict[str, float] = {}
    here = os.getpid()
    for process in psutil.process_iter(["cmdline", "cpu_times", "ppid", "pid"]):
        role = role_of(process, here)
        if role is not None:
            times = process.info["cpu_times"]
            totals[role] = totals.get(role, 0.0) + times.user + times.system
    return totals


def _shared_role(process: psutil.Process, here: int) -> str | None:
    if "beam.smp" in " ".join(process.info["cmdline"] or []):
        return "RabbitMQ"
    return "this script" if process.info["pid"] == here else None


def _role(process: psutil.Process, state: Path, here: int) -> str | None:
    shared = _shared_role(process, here)
    if shared is not None:
        return shared
    line = " ".join(process.info["cmdline"] or [])
    try:
        if process.environ().get("PICHORD_STATE_DIR") != str(state):
            return None
        parent = " ".join(psutil.Process(process.info["ppid"]).cmdline())
    except psutil.Error:
        return None
    if "uvicorn" in line or "uvicorn" in parent:
        return "API"
    return "pool processes" if "celery" in parent else "worker main"
