"""Worker step: the worker's heartbeat in the fleet folder, with how busy its pool is.

A thread samples the pool's running tasks ten times a second and writes the worker's beat
(``storage.fleet``) once a second: its processes, how many run a task now and the share of
process time spent running tasks over the last ``BUSY_WINDOW`` seconds. A share over a
window, not an instant: between two chunks a process is idle for a few milliseconds, and
an instant count catches those gaps far more often than they matter.
"""

import collections
import logging
import os
import socket
import threading
from typing import Any

from celery import bootsteps
from celery.worker import state as worker_state

from pipeline.fleet import FLEET_BEAT_SECONDS, fleet
from storage.fleet import FleetMember
from storage.records import utcnow

logger = logging.getLogger(__name__)

SAMPLE_SECONDS = 0.1
BUSY_WINDOW = 10.0


class BusyWindow:
    """The mean of the last ``size`` samples of busy processes, as a share of ``processes``;
    pure."""

    def __init__(self, size: int) -> None:
        self.samples: collections.deque[int] = collections.deque(maxlen=size)

    def add(self, busy: int) -> None:
        self.samples.append(busy)

    def share(self, processes: int) -> float:
        if not self.samples or processes <= 0:
            return 0.0
        return min(1.0, sum(self.samples) / (len(self.samples) * processes))

    def seconds(self) -> float:
        return len(self.samples) * SAMPLE_SECONDS


class FleetBeat(bootsteps.StartStopStep):
    """Worker step: joins the fleet when the worker starts and leaves it when it stops."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.member_name = ""

    def start(self, parent: Any) -> None:
        app = parent.app
        self.member_name = f"{parent.hostname}.{os.getpid()}"
        member = FleetMember(
            name=self.member_name,
            host=socket.gethostname(),
            pid=os.getpid(),
            processes=int(parent.concurrency),
            started=utcnow(),
        )
        # Counted from the first moment, before the first sample is due.
        fleet(app.settings).beat(member)
        self.thread = threading.Thread(
            target=self.beat, args=(app, member), name="fleet-beat", daemon=True
        )
        self.thread.start()

    def stop(self, parent: Any) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=2 * FLEET_BEAT_SECONDS)
        fleet(parent.app.settings).leave(self.member_name)

    def beat(self, app: Any, member: FleetMember) -> None:
        window = BusyWindow(int(BUSY_WINDOW / SAMPLE_SECONDS))
        book = fleet(app.settings)
        per_beat = max(1, round(FLEET_BEAT_SECONDS / SAMPLE_SECONDS))
        tick = 0
        while not self.stopping.wait(SAMPLE_SECONDS):
            busy = len(worker_state.active_requests)
            window.add(busy)
            tick += 1
            if tick % per_beat:
                continue
            try:
                book.beat(
                    member.model_copy(
                        update={
                            "beat": utcnow(),
                            "busy": busy,
                            "busy_share": window.share(member.processes),
                            "busy_window": window.seconds(),
                        }
                    )
                )
            except OSError:
                logger.warning("could not write the fleet heartbeat", exc_info=True)
