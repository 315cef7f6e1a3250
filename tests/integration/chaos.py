"""A seeded stream of mixed jobs while processes of the running service are killed.

Used by the soak test (``test_chaos.py``, bounded for CI) and by ``bench/chaos.py`` (by hand,
default settings). The service runs as ``make run`` runs it, under supervisord, which
restarts what is killed; everything here only sends HTTP requests and signals.
"""

import itertools
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx2

from pipeline.verify import reference_digits
from tests.integration.conftest import FINISHED
from tests.integration.fault_injection import Fault, ServiceTree


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
    # The longest the drain may go without a job finishing, once the stream has ended.
    drain_seconds: float
    mix: JobMix = field(default_factory=JobMix)
    # The stream goes on past ``seconds`` (three times that at most) until this many faults
    # have struck: on a slow machine restarted programs stay too young to strike for longer.
    min_faults: int = 0


# How long a client keeps sending one submission again (with its key) while the API
# restarts; supervisord brings it back within seconds.
RETRY_SECONDS = 60.0
RETRY_PAUSE = 0.25


@dataclass
class Outcome:
    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Connections refused (an API restarting), then sent again with the same key.
    refused_connections: int = 0
    # The request reached an API that died before answering: a 202 may have been lost, so
    # it was sent again with the same key.
    lost_answers: int = 0
    # Answers to a submission sent again that its first sending had created (200, replayed).
    replayed: int = 0
    # Stored jobs whose id no client was ever given: must stay empty.
    unknown: list[str] = field(default_factory=list)
    busy: int = 0
    server_errors: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    unfinished: dict[str, str] = field(default_factory=dict)
    wrong: dict[str, str] = field(default_factory=dict)
    drain_seconds: float = 0.0

    @property
    def requests(self) -> int:
        # Submissions, each counted once however often it was sent.
        return len(self.accepted) + self.busy + len(self.server_errors)

    def line(self, broker: str) -> str:
        kinds = " ".join(f"{kind}={count}" for kind, count in sorted(self.faults.items()))
        return (
            f"chaos [{broker}]: {len(self.accepted)} jobs accepted of {self.requests} requests, "
            f"faults {sum(self.faults.values())} ({kinds}), sent again after a refused "
            f"connection {self.refused_connections} or a lost answer {self.lost_answers}, "
            f"replayed {self.replayed}, jobs no client knows {len(self.unknown)}, "
            f"429 {self.busy}, 5xx {len(self.server_errors)}, unfinished "
            f"{len(self.unfinished)}, wrong {len(self.wrong)}, drain {self.drain_seconds:.1f} s"
        )


def submit(client: httpx2.Client, outcome: Outcome, method: str, digits: int) -> None:
    """Submit as a careful client does: with an Idempotency-Key, sent again with the same
    key after a refused connection, a lost answer or a 503 (the broker dropped)."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        try:
            response = client.post(
                "/tasks", json={"method": method, "digits": digits}, headers=headers
            )
        except httpx2.ConnectError:
            outcome.refused_connections += 1
        except httpx2.TransportError:
            outcome.lost_answers += 1
        else:
            if response.status_code != 503:
                break
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer to a submission within {RETRY_SECONDS} s")
        time.sleep(RETRY_PAUSE)
    if response.status_code in (200, 202):
        outcome.accepted[response.json()["id"]] = (method, digits)
        outcome.replayed += response.headers.get("Idempotent-Replayed") == "true"
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
        for n in itertools.count():
            elapsed = n / plan.jobs_per_second
            struck = sum(outcome.faults.values()) >= plan.min_faults
            if elapsed >= 3 * plan.seconds or (elapsed >= plan.seconds and struck):
                break
            time.sleep(max(0.0, start + elapsed - time.monotonic()))
            submit(client, outcome, *plan.mix.draw(rng))
        stop.set()
        striker.join()
        # Resumed workers must be running again before the drain is timed.
        time.sleep(plan.pause_seconds)
        drain(client, outcome, plan.drain_seconds)
        outcome.unknown = sorted(stored_ids(client) - outcome.accepted.keys())
    return outcome


def stored_ids(client: httpx2.Client) -> set[str]:
    ids: set[str] = set()
    while True:
        page = client.get("/tasks", params={"limit": 500, "offset": len(ids)}).json()
        ids.update(task["id"] for task in page["tasks"])
        if len(ids) >= page["total"] or not page["tasks"]:
            return ids


def drain(client: httpx2.Client, outcome: Outcome, seconds: float) -> None:
    """Wait for every accepted job while they keep finishing: at most ``seconds`` without one
    finishing (a machine of any speed clears its backlog, a lost job stops the line); record
    the unfinished and the wrong."""
    start = last_finished = time.monotonic()
    waiting = dict(outcome.accepted)
    while waiting and time.monotonic() - last_finished < seconds:
        for job_id in list(waiting):
            try:
                body = client.get(f"/tasks/{job_id}").json()
            except httpx2.TransportError:
                break  # an API restarting: ask again next round
            if body["status"] in FINISHED:
                _, digits = waiting.pop(job_id)
                _judge(client, outcome, job_id, body, digits)
                last_finished = time.monotonic()
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
