"""Fixtures shared by the test suite.

Integration tests use the real RabbitMQ on 127.0.0.1:5672 in a vhost of their own, created
for the test session and deleted after it. Under CI=true a missing broker fails the run.
"""

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from pipeline.methods.method_settings import forget_read_settings
from storage import ChunkSpec, JobRecord, JobStore
from storage.fleet import FleetMember
from storage.records import utcnow
from tests.integration.kernel_speed import FAKE_SPEED_VARIABLE, speed_factor

pytest_plugins = ["tests.figures"]

INTEGRATION_TESTS = Path(__file__).parent / "integration"

RABBITMQ_HOST = "127.0.0.1"
RABBITMQ_PORT = 5672


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/integration/ starts real processes; it is marked by where it
    # lives, before `-m` selects, so a new file there cannot run as a unit test by mistake.
    for item in items:
        if INTEGRATION_TESTS in item.path.parents:
            item.add_marker(pytest.mark.integration)


def pytest_report_header() -> str | None:
    factor = speed_factor()
    if factor == 1:
        return None
    return f"chunks sized as if the kernel ran at {factor:g}x its speed ({FAKE_SPEED_VARIABLE})"


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


# Makes a job record: new_job(ranges=[(0, 60), (60, 100)], store=False, **fields).
JobFactory = Callable[..., JobRecord]


@pytest.fixture
def new_job(state_dir: Path) -> JobFactory:
    """A factory of plain leibniz job records over term ranges (one chunk per range), stored
    in ``state_dir`` unless ``store=False``; other fields as keyword arguments."""

    def make(
        ranges: list[tuple[int, int]] | None = None, store: bool = True, **fields: Any
    ) -> JobRecord:
        ranges = ranges or [(0, 60), (60, 100)]
        record = JobRecord.model_validate(
            {
                "id": str(uuid.uuid4()),
                "method": "leibniz",
                "digits": 3,
                "terms_total": ranges[-1][1],
                "chunks": [ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(ranges)],
                **fields,
            }
        )
        if store:
            JobStore(state_dir).create(record)
        return record

    return make


# Sets methods' settings by their variables: method_env(PICHORD_EULER_MAX_DIGITS="3000").
MethodEnv = Callable[..., None]


@pytest.fixture
def method_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[MethodEnv]:
    """Methods' settings for this test, set in the environment they are read from (as a
    service's are) and read again; the test's end restores them."""

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        forget_read_settings()

    yield set_variables
    # Before monkeypatch restores the environment: the next read sees it restored.
    forget_read_settings()


@pytest.fixture
def settings(state_dir: Path) -> Settings:
    """Settings on the embedded broker under a fresh state dir."""
    return Settings(state_dir=state_dir, broker_url=None, result_backend=None)


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    """An AMQP URL to a vhost of this test session's own on the local RabbitMQ."""
    if not _port_open(RABBITMQ_HOST, RABBITMQ_PORT):
        message = f"RabbitMQ is not listening on {RABBITMQ_HOST}:{RABBITMQ_PORT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing broker is a failure)")
        pytest.skip(message)
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        pytest.fail("rabbitmqctl is needed to create the test vhost")
    vhost = f"pichord-test-{uuid.uuid4().hex[:12]}"
    subprocess.run([ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    try:
        subprocess.run(
            [ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"amqp://guest:guest@{RABBITMQ_HOST}:{RABBITMQ_PORT}/{vhost}"
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60)


def fleet_member(
    name: str, processes: int, share: float = 0.0, window: float = 10.0, age: float = 0.0
) -> FleetMember:
    """A worker's heartbeat written ``age`` seconds ago, busy ``share`` of ``window``."""
    now = utcnow()
    return FleetMember(
        name=name,
        host="h",
        pid=1,
        processes=processes,
        started=now - timedelta(minutes=1),
        beat=now - timedelta(seconds=age),
        busy=processes,  # an instant: not what the share is made of
        busy_share=share,
        busy_window=window,
    )
