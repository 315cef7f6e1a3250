"""A seeded stream of mixed jobs while processes of the running service are killed.

Used by the soak test (``test_chaos.py``, bounded for CI) and by ``bench/chaos.py`` (by hand,
default settings). The service runs as ``make run`` runs it, under supervisord, which
restarts what is killed; everything here only sends HTTP requests and signals.
"""

import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx2
import psutil

from pipeline.verify import reference_digits

REPO = Path(__file__).resolve().parents[2]
FINISHED = ("SUCCESS", "FAILURE", "REVOKED")
# supervisord counts an exit within startsecs (5 s) as a failed start and gives up after
# three in a row (FATAL); a program this young is left alone, or the soak would be testing
# a crash loop, which supervisord is meant to give up on.
MIN_TARGET_AGE = 6.0


class Fault(StrEnum):
    POOL_CHILD = "pool-child"
    WORKER_MAIN = "worker-main"
    API = "api"
    BROKER_DROP = "broker-drop"
    WORKER_PAUSE = "worker-pause"


@dataclass(frozen=True)
class JobMix:
    """Digits drawn uniformly per method, the methods in turn at random."""

    leibniz: tuple[int, int] = (1, 10)
    euler: tuple[int, int] = (100, 5_000)
    cf: tuple[int, int] = (1_000, 100_000)

    def draw(self, rng: random.Random) -> tuple[str, int]:
        method, (low, high) = rng.choice(
            [("leibniz", self.leibniz), ("leibniz-euler", self.euler), ("leibniz-cf", self.cf)]
        )
        return method, rng.randint(low, high)


@dataclass(frozen=True)
class Plan:
    seed: int
    seconds: float
    jobs_per_second: float
    fault_every: tuple[float, float]
    faults: tuple[Fault, ...]
    pause_seconds: float
    drain_seconds: float
    mix: JobMix = field(default_factory=JobMix)


@dataclass
class Outcome:
    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)
    refused_connections: int = 0
    # The request reached an API that died before answering: a 202 may have been lost.
    lost_answers: int = 0
    busy: int = 0
    server_errors: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    unfinished: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, str] = field(default_factory=dict)
    drain_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return (
            len(self.accepted)
            + self.refused_connections
            + self.lost_answers
            + self.busy
            + len(self.server_errors)
        )

    def line(self, broker: str) -> str:
        kinds = " ".join(f"{kind}={count}" for kind, count in sorted(self.faults.items()))
        return (
            f"chaos [{broker}]: {len(self.accepted)} jobs accepted of {self.requests} requests, "
            f"faults {sum(self.faults.values())} ({kinds}), refused connections "
            f"{self.refused_connections}, lost answers {self.lost_answers}, 429 {self.busy}, "
            f"5xx {len(self.server_errors)}, unfinished {len(self.unfinished)}, wrong "
            f"{len(self.wrong)}, drain {self.drain_seconds:.1f} s"
        )


class ServiceTree:
    """The processes supervisord runs, found afresh for every fault."""

    def __init__(self, supervisord_pid: int, vhost: str | None) -> None:
        self._supervisord = psutil.Process(supervisord_pid)
        self._vhost = vhost

    def _programs(self, needle: str) -> list[psutil.Process]:
        found = []
        for child in self._supervisord.children():
            try:
                if needle in " ".join(child.cmdline()):
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def worker_mains(self) -> list[psutil.Process]:
        return self._programs(" worker ")

    def pool_children(self) -> list[psutil.Process]:
        return [child for main in self.worker_mains() for child in _children(main)]

    def apis(self) -> list[psutil.Process]:
        return self._programs("uvicorn")

    def strike(self, fault: Fault, rng: random.Random, pause_seconds: float) -> bool:
        """Cause ``fault`` once; False if it has no target right now."""
        if fault is Fault.BROKER_DROP:
            return self._drop_broker_connections()
        if fault is Fault.WORKER_PAUSE:
            return _pause(_old_enough(self.worker_mains()), pause_seconds)
        if fault is Fault.POOL_CHILD:
            # The worker replaces its pool processes itself, whatever their age.
            eligible = self.pool_children()
        else:
            eligible = _old_enough(
                self.worker_mains() if fault is Fault.WORKER_MAIN else self.apis()
            )
        if not eligible:
            return False
        try:
            rng.choice(eligible).send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            return False
        return True

    def _drop_broker_connections(self) -> bool:
        if self._vhost is None:
            return False
        result = subprocess.run(
            ["rabbitmqctl", "close_all_connections", "--vhost", self._vhost, "chaos test"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        return result.returncode == 0


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.NoSuchProcess:
        return []


def _old_enough(processes: list[psutil.Process]) -> list[psutil.Process]:
    now = time.time()
    found = []
    for process in processes:
        try:
            if now - process.create_time() >= MIN_TARGET_AGE:
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def _pause(mains: list[psutil.Process], seconds: float) -> bool:
    """SIGSTOP a worker and its pool for ``seconds``, then SIGCONT (in a thread)."""
    if not mains:
        return False
    tree = [mains[0], *_children(mains[0])]
    for process in tree:
        try:
            process.send_signal(signal.SIGSTOP)
        except psutil.NoSuchProcess:
            continue

    def resume() -> None:
        time.sleep(seconds)
        for process in tree:
            try:
                process.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                continue

    threading.Thread(target=resume, name="chaos-resume", daemon=True).start()
    return True


def submit(client: httpx2.Client, outcome: Outcome, method: str, digits: int) -> None:
    try:
        response = client.post("/tasks", json={"method": method, "digits": digits})
    except httpx2.ConnectError:
        outcome.refused_connections += 1
        return
    except httpx2.TransportError:
        outcome.lost_answers += 1
        return
    if response.status_code == 202:
        outcome.accepted[response.json()["id"]] = (method, digits)
    elif response.status_code == 429:
        outcome.busy += 1
    elif response.status_code >= 500:
        outcome.server_errors.append(f"{response.status_code} {response.text[:200]}")
    else:
        raise AssertionError(f"unexpected answer {response.status_code}: {response.text}")


def run(plan: Plan, api: str, tree: ServiceTree) -> Outcome:
    """Submit for ``plan.seconds`` while faults strike, then wait for every accepted job."""
    rng = random.Random(plan.seed)
    outcome = Outcome()
    stop = threading.Event()

    def strike_faults() -> None:
        faults = random.Random(plan.seed + 1)
        while not stop.wait(faults.uniform(*plan.fault_every)):
            for fault in faults.sample(plan.faults, len(plan.faults)):
                if tree.strike(fault, faults, plan.pause_seconds):
                    outcome.faults[fault.value] += 1
                    break

    striker = threading.Thread(target=strike_faults, name="chaos-faults", daemon=True)
    with httpx2.Client(base_url=api, timeout=30) as client:
        striker.start()
        # On a fixed schedule, so slow answers (an API restarting) do not thin the stream.
        start = time.monotonic()
        for n in range(round(plan.seconds * plan.jobs_per_second)):
            time.sleep(max(0.0, start + n / plan.jobs_per_second - time.monotonic()))
            submit(client, outcome, *plan.mix.draw(rng))
        stop.set()
        striker.join()
        # Resumed workers must be running again before the drain is timed.
        time.sleep(plan.pause_seconds)
        drain(client, outcome, plan.drain_seconds)
    return outcome


def drain(client: httpx2.Client, outcome: Outcome, seconds: float) -> None:
    """Wait up to ``seconds`` for every accepted job; record the unfinished and the wrong."""
    start = time.monotonic()
    waiting = dict(outcome.accepted)
    while waiting and time.monotonic() - start < seconds:
        for job_id in list(waiting):
            try:
                body = client.get(f"/tasks/{job_id}").json()
            except httpx2.TransportError:
                break  # an API restarting: ask again next round
            if body["status"] in FINISHED:
                _, digits = waiting.pop(job_id)
                _judge(client, outcome, job_id, body, digits)
        time.sleep(0.5)
    outcome.drain_seconds = time.monotonic() - start
    for job_id in waiting:
        outcome.unfinished[job_id] = str(client.get(f"/tasks/{job_id}").json()["status"])


def _judge(
    client: httpx2.Client, outcome: Outcome, job_id: str, body: dict[str, object], digits: int
) -> None:
    if body["status"] != "SUCCESS":
        outcome.wrong[job_id] = f"{body['status']}: {body.get('error')}"
        return
    result = client.get(f"/tasks/{job_id}/digits").text.strip()
    if result != reference_digits(digits):
        outcome.wrong[job_id] = f"digits differ from mpmath's ({len(result)} characters)"


class Service:
    """``python -m config.supervisord`` (what ``make run`` starts) on a state dir of its own."""

    def __init__(self, env: dict[str, str], log_path: str, api_port: int) -> None:
        self.env = env
        self.api = f"http://127.0.0.1:{api_port}"
        self._log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Service":
        with open(self._log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "config.supervisord"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"supervisord exited; see {self._log_path}"
            try:
                if httpx2.get(self.api + "/health", timeout=1).status_code == 200:
                    return self
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the API did not answer within 60 s; see {self._log_path}")

    def __exit__(self, *_: object) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
