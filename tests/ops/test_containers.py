"""The Dockerfile and docker-compose.yml for real: the stack built and run on a Docker engine,
jobs spread over its containers, `worker` scaled from 1 to 3 mid-job, a worker container
killed, the app restarted, down and up.

Runs in CI (.ci/run starts the engine and makes the stand-in base images); skips with the reason
where no engine answers. The timings are printed at the end of the run (the "figures" section).
"""

import math
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from pipeline.verify import reference_digits
from tests.integration.conftest import FINISHED
from tests.integration.fault_injection import ServiceTree
from tests.integration.pool_pause import paused_when, pool_paused
from tests.ops import job_by_terms
from tests.ops.conftest import (
    DEBIAN_LAYOUT_IMAGE,
    REPO,
    WORKERS,
    Stack,
    Timings,
    compose_command,
    container_logs,
    docker,
    health,
    unavailable,
)

# The first test also waits for the stack fixture: a build on a fresh machine downloads a lot.
pytestmark = [pytest.mark.integration, pytest.mark.containers, pytest.mark.timeout(900)]


# `docker run` without -p: only this host reaches the container, on the bridge network, so it
# is published on loopback as far as the API's exposure rule is concerned.
UNPUBLISHED = ("-e", "PICHORD_PUBLISH_ADDRESS=127.0.0.1", "-e", "PICHORD_SUPERVISOR_PASSWORD=x")


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """``check()``'s first truthy value; connection errors (a restarting API) count as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx2.TransportError:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def submit(url: str, method: str, digits: int) -> str:
    response = httpx2.post(f"{url}/tasks", json={"method": method, "digits": digits}, timeout=10)
    assert response.status_code in (200, 201, 202), response.text
    return str(response.json()["id"])


def task(url: str, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx2.get(f"{url}/tasks/{job_id}", timeout=10).json()
    return body


def chunks(url: str, job_id: str) -> list[dict[str, Any]]:
    return list(httpx2.get(f"{url}/tasks/{job_id}/chunks", timeout=10).json()["chunks"])


def finish(stack: Stack, job_id: str, digits: int, timeout: float = 180) -> dict[str, Any]:
    """Wait for the job; it must end SUCCESS with mpmath's digits."""
    url = stack.app_url()
    done = wait_for(
        f"job {job_id}",
        lambda: (body := task(url, job_id))["status"] in FINISHED and body,
        timeout,
        interval=0.2,
    )
    assert done["status"] == "SUCCESS", done
    assert done["result"] == reference_digits(digits) and done["verified"] is True
    stack.finished[job_id] = done["result"]
    return dict(done)


def worker_name(container: dict[str, Any]) -> str:
    # supervisord starts celery with --hostname worker@%h; %h is the container's hostname.
    return f"worker@{container['Config']['Hostname']}"


def celery_mains(container: dict[str, Any]) -> list[int]:
    """Host pids of the Celery worker main processes under the container's supervisord."""
    found = [p.pid for p in ServiceTree(container["State"]["Pid"]).worker_mains()]
    assert found, f"no celery worker in container {container['Name']}"
    return found


def running_on(stack: Stack, job_id: str, worker: str) -> bool:
    return any(
        c["status"] == "PROGRESS" and c.get("worker") == worker
        for c in chunks(stack.app_url(), job_id)
    )


def test_an_n10_job_is_computed_by_every_container(stack: Stack, timings: Timings) -> None:
    started = time.monotonic()
    job_id = submit(stack.app_url(), "leibniz", 10)
    finish(stack, job_id, 10)
    timings.record("n=10 job (its chunks over 4 containers)", started)
    computed_by = {c["worker"] for c in chunks(stack.app_url(), job_id)}
    containers = {worker_name(c) for c in (*stack.service("app"), *stack.service("worker"))}
    assert computed_by <= containers and len(computed_by) >= 3, computed_by


# -- `worker` scaled from 1 to 3 mid-job -------------------------------------------------------

# The scaling test's job lasts about this long on the stack at worker=1. Its terms are this
# many seconds at the speed an n=10 job measures on that same stack just before, so the test
# takes as long on a fast, a slow or a busy CPU, and PICHORD_TEST_KERNEL_SPEED has nothing
# to fake here.
SCALE_JOB_SECONDS = 30.0
# Its chunks: many per pool process however fast the kernel is (each container runs one
# process per core: 4 at worker=1 on 2 cores, 8 at worker=3).
SCALE_JOB_CHUNKS = 120
# `up --scale worker=3` is sent once this share of the job's chunks is finished. A new
# container needs 10-30 s before it takes a chunk (Python and Celery start on a CPU the job
# keeps busy), so the earlier the better.
SCALE_AT = 0.1
# Once both new containers compute they have half the CPU (2 of 4 containers, each given the
# same share by Docker) and take about half the chunks started from then on (46-50% seen on
# a busy host); at least a third of that half is required.
NEW_SHARE_AT_LEAST = 1 / 6
# Should the new containers not have started a chunk when this share is finished (a busy host
# starts containers slowly), the first two containers' pools are stopped until they have, so
# the job cannot end without them; the hold is printed with the figures.
HOLD_AT = 0.7


def submit_by_terms(stack: Stack, digits: int, terms: int, chunk_terms: int) -> str:
    """A leibniz job of ``digits`` over ``terms`` terms, submitted inside the app container."""
    (app,) = stack.service("app")
    source = Path(job_by_terms.__file__).read_text()
    args = (str(digits), str(terms), str(chunk_terms))
    out = docker("exec", "-i", app["Name"].lstrip("/"), "python", "-", *args, stdin=source)
    return out.strip().splitlines()[-1]


def moment(value: str) -> datetime:
    """A time from the API or from `docker inspect` (nanoseconds, "Z"), timezone-aware."""
    return datetime.fromisoformat(value)


def job_seconds(done: dict[str, Any]) -> float:
    """A finished job's time from its submission to its end, as the service recorded them."""
    return (moment(done["stoptime"]) - moment(done["pushqtime"])).total_seconds()


def finished_share(found: list[dict[str, Any]]) -> float:
    return sum(c["status"] == "SUCCESS" for c in found) / len(found)


def workers_of(found: list[dict[str, Any]]) -> set[str]:
    return {c["worker"] for c in found if c["worker"]}


def join_or_hold(stack: Stack, job_id: str, names: set[str], first: Collection[int]) -> float:
    """Wait until every worker in ``names`` has started a chunk of the job. Returns how long
    the pools of the ``first`` worker mains (host pids) were stopped for it: 0 unless HOLD_AT
    of the job finished before they had."""
    url = stack.app_url()
    while finished_share(found := chunks(url, job_id)) < HOLD_AT:
        if names <= workers_of(found):
            return 0.0
        time.sleep(0.2)
    held = time.monotonic()
    with pool_paused(first):
        wait_for(
            "the new worker containers to start a chunk of the job",
            lambda: names <= workers_of(chunks(url, job_id)),
            180,
            interval=0.2,
        )
    return time.monotonic() - held


@dataclass(frozen=True)
class SizedJob:
    """The scaling test's job: ``terms`` in chunks of ``chunk_terms``, sized from ``probe``,
    an n=10 job on the stack at worker=1."""

    probe: dict[str, Any]
    probe_terms: int
    terms: int
    chunk_terms: int

    @classmethod
    def measured(cls, stack: Stack) -> "SizedJob":
        url = stack.app_url()
        probe = finish(stack, submit(url, "leibniz", 10), 10)
        probe_terms = sum(c["stop"] - c["start"] for c in chunks(url, probe["id"]))
        terms = 2 * round(probe_terms / job_seconds(probe) * SCALE_JOB_SECONDS / 2)
        # Never fewer terms than n=10 needs: the job then ends in one round, like the probe.
        terms = max(terms, probe_terms)
        return cls(probe, probe_terms, terms, 2 * math.ceil(terms / SCALE_JOB_CHUNKS / 2))

    @property
    def speed(self) -> float:
        return self.probe_terms / job_seconds(self.probe)

    def submit(self, stack: Stack) -> str:
        return submit_by_terms(stack, 10, self.terms, self.chunk_terms)


def test_worker_scaled_from_1_to_3_mid_job_takes_part_at_once(
    stack: Stack, timings: Timings, figure: Callable[[str], None]
) -> None:
    url = stack.app_url()
    started = time.monotonic()
    stack.compose("up", "-d", "--scale", "worker=1")
    (app,) = stack.service("app")
    (first,) = stack.service("worker")
    job = SizedJob.measured(stack)
    patience = 180 + 6 * SCALE_JOB_SECONDS

    baseline = finish(stack, job.submit(stack), 10, patience)
    assert workers_of(chunks(url, baseline["id"])) <= {worker_name(app), worker_name(first)}

    job_id = job.submit(stack)
    wait_for(
        f"{SCALE_AT:.0%} of the job's chunks to finish",
        lambda: finished_share(chunks(url, job_id)) >= SCALE_AT,
        patience,
        interval=0.2,
    )
    scaled_at = datetime.now(UTC)
    stack.compose("up", "-d", "--scale", f"worker={WORKERS}")
    new = [c for c in stack.service("worker") if c["Id"] != first["Id"]]
    assert len(new) == WORKERS - 1, [c["Name"] for c in new]
    new_names = {worker_name(c) for c in new}
    first_mains = [pid for c in (app, first) for pid in celery_mains(c)]
    held = join_or_hold(stack, job_id, new_names, first_mains)
    scaled = finish(stack, job_id, 10, patience)

    found = chunks(url, job_id)
    per_worker = Counter(c["worker"] for c in found)
    assert {worker_name(first), *new_names} <= set(per_worker), per_worker
    # The new containers' chunks were taken mid-job, once they had started.
    firsts = []
    for container in new:
        since = moment(container["State"]["StartedAt"])
        theirs = [moment(c["starttime"]) for c in found if c["worker"] == worker_name(container)]
        assert moment(scaled["pushqtime"]) < scaled_at < since <= min(theirs), container["Name"]
        firsts.append(min(theirs))
    joined = max(firsts)
    after = [c["worker"] for c in found if moment(c["starttime"]) >= joined]
    share = sum(name in new_names for name in after) / len(after)
    assert share >= NEW_SHARE_AT_LEAST, (share, len(after), per_worker)

    alone, together = job_seconds(baseline), job_seconds(scaled)
    cores = os.cpu_count() or 1  # each container runs a pool process per core
    figure(
        f"[scaling] probe at worker=1: n=10 in {job_seconds(job.probe):.1f} s = "
        f"{job.speed / 1e9:.1f} G terms/s -> a job of {job.terms / 1e9:.0f} G terms, "
        f"{len(found)} chunks"
    )
    figure(
        f"[scaling] that job at worker=1 throughout {alone:.1f} s; worker 1 -> {WORKERS} at "
        f"{SCALE_AT:.0%} done {together:.1f} s: speed-up {alone / together:.2f}x "
        f"({cores} cores; pool processes {2 * cores} -> {(1 + WORKERS) * cores})"
        + (f"; first two containers held {held:.1f} s for the new ones" if held else "")
    )
    joins = ", ".join(
        f"{per_worker[worker_name(c)]} from {(at - scaled_at).total_seconds():.1f} s"
        for c, at in zip(new, firsts, strict=True)
    )
    figure(
        f"[scaling] chunks: app {per_worker[worker_name(app)]}, worker 1 "
        f"{per_worker[worker_name(first)]}, new ones {joins} after `up`; once both computed "
        f"they took {share:.0%} of the {len(after)} chunks started"
    )
    stack.wait_healthy()
    timings.record(f"scale worker 1 -> {WORKERS}: 3 jobs, until all healthy", started)


def test_the_api_is_published_on_the_hosts_loopback_only(stack: Stack) -> None:
    (app,) = stack.service("app")
    assert docker("port", app["Name"].lstrip("/"), "8000/tcp").split() == ["127.0.0.1:8000"]


def test_no_response_or_log_shows_the_broker_password(stack: Stack) -> None:
    password = stack.env["RABBITMQ_PASSWORD"]
    url = stack.app_url()
    for path in ("/", "/ready", "/workers", "/metrics", "/tasks", "/cpu/percent"):
        body = httpx2.get(f"{url}{path}", timeout=10).text
        assert password not in body, path
    logs = subprocess.run(
        [*stack.command, "-p", stack.project, "logs", "--no-color"],
        cwd=REPO,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # The workers log their broker at INFO, with the password masked.
    assert "amqp://pichord:**@rabbitmq:5672" in logs.stdout
    assert password not in logs.stdout + logs.stderr


def test_a_leibniz_euler_job_of_5000_digits(stack: Stack, timings: Timings) -> None:
    started = time.monotonic()
    finish(stack, submit(stack.app_url(), "leibniz-euler", 5000), 5000)
    timings.record("leibniz-euler n=5,000 job", started)


def test_the_supervisord_ui_refuses_missing_and_wrong_credentials(stack: Stack) -> None:
    ui = "http://127.0.0.1:9001/"
    assert httpx2.get(ui, timeout=10).status_code == 401
    assert httpx2.get(ui, auth=("pichord", "wrong"), timeout=10).status_code == 401
    assert httpx2.get(ui, auth=("pichord", stack.supervisor_password), timeout=10).is_success


def test_a_worker_container_killed_mid_job_is_restarted_and_the_job_succeeds(
    stack: Stack, timings: Timings
) -> None:
    victim = stack.service("worker")[0]
    job_id = submit(stack.app_url(), "leibniz", 10)
    # The victim's pool is stopped while it computes one of the job's chunks, so the kill is
    # mid-chunk however fast the kernel runs.
    with paused_when(
        celery_mains(victim),
        lambda: running_on(stack, job_id, worker_name(victim)),
        f"a chunk on {worker_name(victim)}",
    ):
        # kill -9 of PID 1 from outside is a crash, which `restart: unless-stopped` restarts;
        # `docker kill` would count as a manual stop and leave the container down.
        killed = time.monotonic()
        try:
            os.kill(victim["State"]["Pid"], signal.SIGKILL)
        except PermissionError:
            pytest.fail("kill -9 of a container's PID 1 from the host needs root (CI runs as root)")
    finish(stack, job_id, 10)
    timings.record("job done after SIGKILL of a worker container's PID 1", killed)

    def back() -> bool:
        (now,) = [c for c in stack.service("worker") if c["Id"] == victim["Id"]]
        return now["RestartCount"] > victim["RestartCount"] and health(now) == "healthy"

    wait_for("the killed worker container to be restarted and healthy", back, 120, interval=1)
    timings.record("killed worker container restarted and healthy", killed)


def test_restarting_the_app_mid_job_still_ends_in_success(stack: Stack, timings: Timings) -> None:
    job_id = submit(stack.app_url(), "leibniz", 10)
    # The worker containers' pools stopped while one of them computes a chunk of the job: it
    # cannot finish before the app is back, however fast the kernel runs.
    workers = stack.service("worker")
    names = {worker_name(c) for c in workers}
    with paused_when(
        [pid for c in workers for pid in celery_mains(c)],
        lambda: any(
            c["status"] == "PROGRESS" and c.get("worker") in names
            for c in chunks(stack.app_url(), job_id)
        ),
        "a chunk in progress on a worker container",
    ):
        restarted = time.monotonic()
        stack.compose("restart", "app")
    finish(stack, job_id, 10)
    timings.record("job done after `restart app` mid-job", restarted)


def test_down_then_up_keeps_the_finished_jobs(stack: Stack, timings: Timings) -> None:
    if not stack.finished:
        finish(stack, submit(stack.app_url(), "leibniz", 3), 3)
    stack.compose("down")
    started = time.monotonic()
    stack.compose("up", "-d", "--scale", f"worker={WORKERS}")
    stack.wait_healthy()
    timings.record("up again after down, until all healthy", started)
    for job_id, digits in stack.finished.items():
        kept = task(stack.app_url(), job_id)
        assert (kept["status"], kept["result"]) == ("SUCCESS", digits)


def test_on_debians_python_layout_supervisord_is_found(
    container_name: str, timings: Timings
) -> None:
    """Interpreter in /usr/bin, pip's scripts in /usr/local/bin: the container must come up."""
    compose_command()  # skips (or fails under CI) without an engine
    if not docker("image", "ls", "-q", DEBIAN_LAYOUT_IMAGE).strip():
        unavailable(
            f"no {DEBIAN_LAYOUT_IMAGE} image; make it with PY_TAG={DEBIAN_LAYOUT_IMAGE} "
            "PY_LOCAL_BIN=0 bash ../shared/docker-standins/make-base-images.sh"
        )
    image = "pichord:test-debian-layout"
    started = time.monotonic()
    docker(
        "build",
        "--build-arg",
        f"PYTHON_IMAGE={DEBIAN_LAYOUT_IMAGE}",
        "-t",
        image,
        str(REPO),
        timeout=900,
    )
    timings.record("build on the Debian-layout stand-in", started)
    started = time.monotonic()
    docker("run", "-d", "--name", container_name, *UNPUBLISHED, image)
    where = docker(
        "exec",
        container_name,
        "sh",
        "-c",
        "python -c 'import sys; print(sys.executable)'; command -v supervisord",
    )
    assert where.split() == ["/usr/bin/python", "/usr/local/bin/supervisord"], where

    def healthy() -> bool:
        state = docker(
            "inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}", container_name
        )
        assert not state.startswith("exited"), container_logs(container_name)
        return state.split() == ["running", "healthy"]

    wait_for("the Debian-layout container to be healthy", healthy, 120, interval=1)
    timings.record("Debian-layout container healthy", started)
    address = docker(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container_name
    ).strip()
    url = f"http://{address}:8000"
    job_id = submit(url, "leibniz", 5)
    done = wait_for(
        "the job", lambda: (body := task(url, job_id))["status"] in FINISHED and body, 120
    )
    assert (done["status"], done["result"]) == ("SUCCESS", reference_digits(5))
    assert "FileNotFoundError" not in container_logs(container_name)


def test_a_container_whose_supervisord_cannot_start_exits_and_is_never_healthy(
    container_name: str,
) -> None:
    compose_command()
    image = "pichord:local"  # built by the stack fixture (docker-compose.yml names it)
    if not docker("image", "ls", "-q", image).strip():
        pytest.skip(f"{image} was not built (the stack tests did not run)")
    # An address the container does not have: supervisord's UI cannot listen there, which
    # `pichord serve` finds before it starts supervisord.
    docker(
        "run",
        "-d",
        "--name",
        container_name,
        "--restart",
        "unless-stopped",
        "-e",
        "PICHORD_SUPERVISOR_BIND=192.0.2.1",
        *UNPUBLISHED,
        image,
    )

    def crashed_twice() -> bool:
        state = docker("inspect", "-f", "{{.RestartCount}} {{.State.ExitCode}}", container_name)
        restarts, code = map(int, state.split())
        return restarts >= 2 and code != 0

    wait_for("the container to exit non-zero and be restarted", crashed_twice, 60, interval=0.5)
    assert docker("inspect", "-f", "{{.State.Health.Status}}", container_name).strip() != "healthy"
    logs = container_logs(container_name)
    assert "cannot listen on 192.0.2.1:9001" in logs, logs
    # The image's HEALTHCHECK where supervisord is not running: unhealthy, with the reason.
    probe = subprocess.run(
        ["docker", "run", "--rm", *UNPUBLISHED, image, "python", "-m", "config.healthcheck"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 1 and "unhealthy" in probe.stderr, probe


def test_published_beyond_loopback_the_api_needs_the_token(
    stack: Stack, container_name: str, timings: Timings
) -> None:
    """The app container told it is published on 0.0.0.0 (as `.env` opens it); reached here on
    the bridge network only, so nothing is actually offered to other machines."""
    image = "pichord:local"  # built by the stack fixture
    opened = ("-e", "PICHORD_PUBLISH_ADDRESS=0.0.0.0", "-e", "PICHORD_SUPERVISOR_PASSWORD=x")
    docker("run", "-d", "--name", container_name, *opened, image)

    def exited() -> bool:
        return docker("inspect", "-f", "{{.State.Status}}", container_name).strip() == "exited"

    wait_for("the container without a token to exit", exited, 60, interval=0.5)
    assert docker("inspect", "-f", "{{.State.ExitCode}}", container_name).strip() != "0"
    logs = container_logs(container_name)
    assert "PICHORD_PUBLISH_ADDRESS='0.0.0.0'" in logs and "Set PICHORD_API_TOKEN" in logs, logs
    docker("rm", "-f", "-v", container_name)

    token = "containers-test-token"
    started = time.monotonic()
    docker(
        "run", "-d", "--name", container_name, *opened, "-e", f"PICHORD_API_TOKEN={token}", image
    )
    address = docker(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container_name
    ).strip()
    url = f"http://{address}:8000"
    wait_for("the API", lambda: httpx2.get(f"{url}/health", timeout=5).is_success, 120, 0.5)
    timings.record("opened app container answering /health", started)
    job = {"method": "leibniz", "digits": 2}
    assert httpx2.post(f"{url}/tasks", json=job, timeout=10).status_code == 401
    for path in ("/", "/workers", "/metrics"):
        assert httpx2.get(f"{url}{path}", timeout=10).status_code == 401, path
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx2.post(f"{url}/tasks", json=job, headers=auth, timeout=10).status_code == 202
    assert httpx2.get(f"{url}/", headers=auth, timeout=10).status_code == 200
