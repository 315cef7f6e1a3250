"""Fixtures shared by the test suite.

Integration tests use the real RabbitMQ on 127.0.0.1:5672 in a vhost of their own, created
for the test session and deleted after it. Under CI=true a missing broker fails the run.
"""

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings

RABBITMQ_HOST = "127.0.0.1"
RABBITMQ_PORT = 5672


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


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
