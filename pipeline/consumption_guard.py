"""Restart a worker that has stopped consuming while its queue holds messages.

A worker whose broker connection is cut at the wrong moment (seen: RabbitMQ closing every
connection just after the worker said "ready") can stay up without consuming: it holds no
task, logs nothing more and never reconnects, while the queue fills with the chunks of every
job. This worker step asks the broker for the queue's depth from a thread of its own (a
connection per check, so a dead consumer connection does not hide it and a slow broker does
not stall the worker's loop). When the queue has held messages for ``worker_limbo_seconds``,
on three checks in a row, while this worker held no task at all, the worker exits for
supervisord to start a fresh one (``limbo_guard.restart``). With a consumer that works, a
message never waits that long beside a worker with nothing to do: prefetch is one per pool
process and the broker hands a waiting message to any consumer with a free slot.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from celery import bootsteps
from celery.worker import state as worker_state

from pipeline.inspection import queue_depth
from pipeline.limbo_guard import CHECKS_IN_A_ROW, check_interval, restart

logger = logging.getLogger(__name__)


@dataclass
class IdleWatch:
    """How long messages have waited while the worker held nothing; pure."""

    limit: float
    since: float | None = None
    checks: int = 0

    def stuck(self, holding: bool, queued: bool, now: float) -> bool:
        if holding or not queued:
            self.since, self.checks = None, 0
            return False
        if self.since is None:
            self.since = now
        self.checks += 1
        return now - self.since >= self.limit and self.checks >= CHECKS_IN_A_ROW


class ConsumptionGuard(bootsteps.StartStopStep):
    """Worker step: a thread that restarts the worker when it no longer consumes."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, parent: Any) -> None:
        app = parent.app
        watch = IdleWatch(app.settings.worker_limbo_seconds)
        interval = check_interval(watch.limit)
        self.thread = threading.Thread(
            target=self.watch, args=(app, watch, interval), name="consumption-guard", daemon=True
        )
        self.thread.start()

    def stop(self, parent: Any) -> None:
        self.stopping.set()

    def watch(self, app: Any, watch: IdleWatch, interval: float) -> None:
        while not self.stopping.wait(interval):
            try:
                queued = queue_depth(app) > 0
            except Exception:
                # The broker is down: Celery's own reconnecting is what helps now.
                logger.debug("could not read the queue's depth", exc_info=True)
                watch.stuck(holding=False, queued=False, now=time.monotonic())
                continue
            # Reserved, running or scheduled (ETA) requests: anything the worker holds.
            holding = bool(worker_state.requests)
            if watch.stuck(holding, queued, time.monotonic()):
                # Nothing held, and this thread must not touch the loop's channel.
                restart(
                    f"the queue has held messages for {watch.limit:g} s while this worker "
                    "held no task: it no longer consumes",
                    give_back=False,
                )
