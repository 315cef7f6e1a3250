"""What the workers and the broker say about themselves, for the API's status endpoints.

Workers answer one remote-control command, ``pichord_status`` (registered here, loaded by
``pipeline.worker``), with their process, pool and host load in a single broadcast, so a
status request costs one round trip instead of one per ``inspect`` method.
"""

import logging
import math
import os
import socket
from dataclasses import dataclass
from typing import Any

import psutil
from celery.worker import state as worker_state
from celery.worker.control import inspect_command

from pipeline.celery_config import PichordCelery

logger = logging.getLogger(__name__)

STATUS_COMMAND = "pichord_status"


@inspect_command(name=STATUS_COMMAND)
def pichord_status(state: Any, **_: Any) -> dict[str, Any]:
    """Runs inside the worker: its pid, pool size, running and processed tasks, host load."""
    pool = state.consumer.controller.stats().get("pool", {})
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "concurrency": pool.get("max-concurrency"),
        "active": len(worker_state.active_requests),
        "processed": dict(worker_state.total_count),
        # Since the previous status request (psutil's window); the load average needs none.
        "cpu_percent": psutil.cpu_percent(interval=None),
        "load_average": list(os.getloadavg()),
    }


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    host: str
    pid: int
    concurrency: int | None
    active: int
    processed: dict[str, int]
    cpu_percent: float
    load_average: list[float]


def worker_statuses(app: PichordCelery, timeout: float) -> list[WorkerStatus]:
    replies = app.control.broadcast(STATUS_COMMAND, reply=True, timeout=timeout) or []
    found = []
    for reply in replies:
        for name, body in reply.items():
            if isinstance(body, dict) and "pid" in body:
                found.append(WorkerStatus(name=name, **body))
    return sorted(found, key=lambda w: w.name)


def queue_depth(app: PichordCelery) -> int:
    """Messages waiting in the task queue (RabbitMQ or the embedded broker)."""
    with app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        declared = channel.queue_declare(queue=app.settings.queue, passive=True)
        return int(declared.message_count)


def broker_problem(app: PichordCelery, timeout: float) -> str | None:
    """None when the broker accepts a connection within ``timeout``, else why not."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=math.ceil(timeout))
    except Exception as exc:
        return f"cannot connect to the broker: {exc}"
    return None


def workers_answering(app: PichordCelery, timeout: float) -> list[str]:
    replies = app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)
