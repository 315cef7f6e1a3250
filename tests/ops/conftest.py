"""The real compose stack on a Docker engine: built, started, waited for and always removed.

Without an engine the containers tests skip with the reason; under CI=true they fail, because
CI starts one (.ci/run). Every run has a compose project of its own (`-p`), and `down -v`
removes its containers, network and volumes whatever happened. The project's image is built
once a session (`project_image`): the compose stack and the worker-cluster test both run it.
"""

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.figures import figures_of

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("rabbitmq", "app", "worker")
WORKERS = 3
# What .ci/run builds with the stand-in script (PY_LOCAL_BIN=0): Debian's own layout, python in
# /usr/bin and pip's scripts in /usr/local/bin.
DEBIAN_LAYOUT_IMAGE = os.environ.get(
    "PICHORD_DEBIAN_LAYOUT_IMAGE", "pichord-standin/python:3.11-debian-layout"
)
STANDINS = "bash ../shared/docker-standins/start-dockerd.sh, then make-base-images.sh"


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, which must run these tests."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def docker(*args: str, timeout: float = 120, check: bool = True, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["docker", *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def container_logs(name: str) -> str:
    """Both streams: supervisord writes its own errors to stderr."""
    result = subprocess.run(
        ["docker", "logs", name], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr


def require_engine() -> None:
    """Return if a Docker engine answers; otherwise skip, or fail under CI."""
    if shutil.which("docker") is None:
        unavailable("no docker command: there is no Docker engine here")
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        unavailable(
            f"no Docker engine answers ({info.stderr.strip()[:200]}); start one ({STANDINS})"
        )


def compose_image(service: str) -> str:
    """The image docker-compose.yml names for ``service``: the tag CI pulls or makes."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return str(compose["services"][service]["image"])


def local_image(tag: str) -> bool:
    """Whether the engine has ``tag``; nothing is pulled (Docker Hub is out of reach here)."""
    found = subprocess.run(
        ["docker", "image", "inspect", tag], capture_output=True, timeout=60, check=False
    )
    return found.returncode == 0


def compose_command() -> list[str]:
    """`docker compose` (v2) where the plugin exists, else Debian's `docker-compose` (v1)."""
    require_engine()
    v2 = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60)
    if v2.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    unavailable("neither `docker compose` nor `docker-compose` is installed")
    raise AssertionError("unreachable")


@dataclass
class Timings:
    """Container steps timed for the run's "figures" section (tests/figures.py)."""

    lines: list[str]

    def record(self, what: str, started: float) -> float:
        seconds = time.monotonic() - started
        self.lines.append(f"[containers] {seconds:7.1f} s  {what}")
        return seconds


@dataclass
class Stack:
    """One compose project of the repository's own docker-compose.yml."""

    command: list[str]
    project: str
    logs: Path
    timings: Timings
    env: dict[str, str] = field(default_factory=dict)
    # Jobs that ended SUCCESS, by id, with their digits: they must survive down/up.
    finished: dict[str, str] = field(default_factory=dict)

    @property
    def supervisor_password(self) -> str:
        return self.env["PICHORD_SUPERVISOR_PASSWORD"]

    def compose(self, *args: str, timeout: float = 300) -> None:
        log = self.logs / "compose.log"
        with log.open("a") as out:
            out.write(f"\n$ {' '.join(self.command)} -p {self.project} {' '.join(args)}\n")
            out.flush()
            result = subprocess.run(
                [*self.command, "-p", self.project, *args],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if result.returncode != 0:
            tail = log.read_text()[-4000:]
            raise AssertionError(f"compose {' '.join(args)} exited {result.returncode}:\n{tail}")

    def containers(self) -> list[dict[str, Any]]:
        ids = docker(
            "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}"
        ).split()
        return list(json.loads(docker("inspect", *ids))) if ids else []

    def service(self, name: str) -> list[dict[str, Any]]:
        return [
            c
            for c in self.containers()
            if c["Config"]["Labels"].get("com.docker.compose.service") == name
        ]

    def wait_healthy(self, timeout: float = 180) -> None:
        """Every container of the project running and healthy: rabbitmq, app, the workers."""
        deadline = time.monotonic() + timeout
        states: list[str] = []
        while time.monotonic() < deadline:
            found = self.containers()
            states = [f"{c['Name']} {c['State']['Status']} {health(c)}" for c in found]
            if len(found) == 2 + WORKERS and all(
                c["State"]["Status"] == "running" and health(c) == "healthy" for c in found
            ):
                return
            time.sleep(1)
        logs = subprocess.run(
            [*self.command, "-p", self.project, "logs", "--tail", "30"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        raise AssertionError(f"not healthy after {timeout}s: {states}\n{logs.stdout[-6000:]}")

    def app_url(self) -> str:
        # The compose file publishes the API on the host's port 8000.
        return "http://127.0.0.1:8000"


def health(container: dict[str, Any]) -> str:
    return str(container["State"].get("Health", {}).get("Status", "none"))


@pytest.fixture(scope="session")
def timings(request: pytest.FixtureRequest) -> Timings:
    return Timings(figures_of(request.config))


@pytest.fixture(scope="session")
def project_image(timings: Timings) -> str:
    """The image of the repository's Dockerfile under the tag docker-compose.yml gives it
    (what `docker-compose build` makes: `build: .`), built once for the whole session."""
    require_engine()
    image = compose_image("worker")
    started = time.monotonic()
    try:
        docker("build", "-t", image, str(REPO), timeout=900)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nno base image? make the stand-ins: {STANDINS}") from None
    timings.record(f"build {image} (once a session)", started)
    return image


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, timings: Timings, project_image: str
) -> Iterator[Stack]:
    """`up -d --scale worker=3` on the session's image, every container healthy; `down -v`
    at the end."""
    command = compose_command()
    project = os.environ.get("PICHORD_CONTAINERS_PROJECT") or f"pichordtest{secrets.token_hex(4)}"
    run = Stack(command, project, tmp_path_factory.mktemp("compose"), timings)
    run.env = {
        **os.environ,
        "RABBITMQ_PASSWORD": secrets.token_urlsafe(12),
        "PICHORD_SUPERVISOR_PASSWORD": secrets.token_urlsafe(12),
    }
    try:
        started = time.monotonic()
        run.compose("up", "-d", "--scale", f"worker={WORKERS}")
        run.wait_healthy()
        timings.record(f"up --scale worker={WORKERS} until all healthy", started)
        yield run
    finally:
        run.compose("down", "-v", "--remove-orphans", timeout=180)


@pytest.fixture
def container_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A name for a container started with `docker run`; removed with its volumes at the end."""
    name = f"pichordtest{secrets.token_hex(4)}-{request.node.name[:40].strip('_')}"
    try:
        yield name
    finally:
        docker("rm", "-f", "-v", name, check=False)
