"""Real processes for integration tests: celery workers and uvicorn, started and reaped here."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
# The `pichord` command of this virtualenv: `pichord serve` is what `make run` calls.
PICHORD = Path(sys.executable).parent / "pichord"
FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(predicate: "object", timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Processes:
    """Starts service processes with one environment and stops every one of them at teardown."""

    env: dict[str, str]
    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: set[subprocess.Popen[bytes]] = field(default_factory=set)

    def _spawn(
        self, args: list[str], log_name: str, env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.logs / log_name
        handle = log.open("ab")
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=env or self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        self.started.append(proc)
        return proc, log

    def worker(self, name: str, concurrency: int = 2) -> subprocess.Popen[bytes]:
        proc, log = self._spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pipeline.worker",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            f"worker-{name}.log",
        )
        self.workers.add(proc)
        wait_for(
            lambda: proc.poll() is not None or b" ready." in log.read_bytes(),
            60,
            f"worker {name} to be ready",
        )
        assert proc.poll() is None, log.read_text()[-3000:]
        return proc

    def beat(self, schedule: Path) -> subprocess.Popen[bytes]:
        proc, log = self._spawn(
            [
                *(sys.executable, "-m", "celery", "-A", "pipeline.worker", "beat"),
                *("--loglevel", "INFO", "--schedule", str(schedule)),
            ],
            "beat.log",
        )
        wait_for(
            lambda: proc.poll() is not None or b"beat: Starting" in log.read_bytes(),
            60,
            "celery beat to start",
        )
        assert proc.poll() is None, log.read_text()[-3000:]
        return proc

    def api(self, **settings: str) -> str:
        """An API process; ``settings`` override this one's PICHORD_ variables."""
        port = free_port()
        env = {**self.env, **{f"PICHORD_{k.upper()}": v for k, v in settings.items()}}
        proc, log = self._spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            f"api-{port}.log",
            env,
        )
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                return httpx2.get(url + "/openapi.json", timeout=1).status_code == 200
            except httpx2.TransportError:
                return False

        wait_for(up, 60, "the API to answer")
        return url

    def stop_all(self) -> None:
        """Workers are killed with their pool (a warm shutdown of an idle worker takes ~3 s on
        RabbitMQ and ~6 s on the embedded broker, whose loop drains with a 2 s timeout, and a
        finished test has nothing left for it to finish); the rest get TERM."""
        for proc in self.started:
            if proc.poll() is not None:
                continue
            if proc in self.workers:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def service_env(state_dir: Path, broker_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PICHORD_")}
    env["PICHORD_STATE_DIR"] = str(state_dir)
    # Tests hold pools stopped (pool_pause) for as long as they need, which a worker rightly
    # takes for limbo after WORKER_LIMBO_SECONDS; the guards' own tests set it short.
    env["PICHORD_WORKER_LIMBO_SECONDS"] = "600"
    if broker_url:
        env["PICHORD_BROKER_URL"] = broker_url
    env.update({f"PICHORD_{k.upper()}": v for k, v in extra.items()})
    return env


def rabbitmq_service_env(
    tmp_path: Path, rabbitmq_url: str, **extra: str
) -> tuple[Path, dict[str, str]]:
    """A state dir under ``tmp_path`` and an environment on RabbitMQ with a queue of its own."""
    state = tmp_path / "state"
    return state, service_env(state, rabbitmq_url, queue=f"q-{tmp_path.name}", **extra)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(env={}, logs=logs)
    try:
        yield procs
    finally:
        procs.stop_all()


def poll_until_finished(
    client: httpx2.Client, job_id: str, timeout: float
) -> list[dict[str, object]]:
    """Every response seen for the job until it finished, polled every 20 ms."""
    seen: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/tasks/{job_id}").json()
        seen.append(body)
        if body["status"] in FINISHED:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} still {seen[-1]['status']} after {timeout}s: {seen[-1]}")


@dataclass
class Supervisord:
    """supervisord as `make run` starts it (python -m config.supervisord)."""

    env: dict[str, str]
    state: Path
    log: Path
    api_port: int
    ui_port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def password(self) -> str:
        return (self.state / "supervisor" / "password").read_text().strip()

    def rpc_url(self) -> str:
        return f"http://pichord:{self.password}@127.0.0.1:{self.ui_port}/RPC2"

    def start(self, *command: str) -> None:
        self.launch(*command)
        self.wait_until_serving()

    def wait_until_serving(self) -> None:
        wait_for(self._api_up, 60, "the API under supervisord")

    def launch(self, *command: str) -> subprocess.Popen[bytes]:
        """supervisord started by ``command``, by default ``python -m config.supervisord``."""
        with self.log.open("ab") as handle:
            self.proc = subprocess.Popen(
                list(command) or [sys.executable, "-m", "config.supervisord"],
                cwd=REPO,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        return self.proc

    def _api_up(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            return httpx2.get(self.api + "/openapi.json", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    def tree(self) -> list[psutil.Process]:
        """supervisord and every process under it."""
        assert self.proc is not None
        main = psutil.Process(self.proc.pid)
        return [main, *main.children(recursive=True)]

    def serve_once(self) -> subprocess.CompletedProcess[str]:
        """`pichord serve` run to its end: for the cases where it must refuse to start."""
        return subprocess.run(
            [str(PICHORD), "serve"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "config.supervisord", "ctl", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=90)


def processes_of(state: Path) -> list[psutil.Process]:
    """The running processes of the service on ``state``: they inherit its state dir."""
    found = []
    for process in psutil.process_iter(["pid", "ppid", "cmdline"]):
        try:
            if (
                process.pid != os.getpid()
                and process.status() != psutil.STATUS_ZOMBIE
                and process.environ().get("PICHORD_STATE_DIR") == str(state)
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def supervisord(tmp_path: Path) -> Iterator[Supervisord]:
    """Configured (not started): set ``env`` entries, then ``start()``; stopped at teardown."""
    state = tmp_path / "state"
    api_port, ui_port = free_port(), free_port()
    run = Supervisord(
        env=service_env(
            state,
            None,
            api_port=str(api_port),
            supervisor_port=str(ui_port),
            worker_concurrency="1",
        ),
        state=state,
        log=tmp_path / "supervisord.out",
        api_port=api_port,
        ui_port=ui_port,
    )
    try:
        yield run
    finally:
        if run.proc is not None and run.proc.poll() is None:
            run.stop()
        # Whatever the test killed, nothing of the service may outlive its supervisord.
        _, left = psutil.wait_procs(processes_of(state), timeout=10)
        for process in left:
            process.kill()
        assert not left, f"outlived supervisord: {[p.info for p in left]}"
