"""Restart a worker holding tasks it will never start (prefork limbo).

A prefork worker that receives tasks just as a pool process is killed can keep them reserved
forever: written to the dead process's pipe, they are neither accepted nor reported lost
(celery/celery #2011, #9781). The worker still answers pings, but those messages stay
unacknowledged and hold its prefetch slots, and its pool hands out nothing more: tasks it
receives later are not started either. On the embedded broker nobody else can have the
messages at all.

This consumer step looks at the worker's reserved tasks every few seconds. When a task has
waited ``worker_limbo_seconds`` without starting while a pool process was free to take it,
the worker gives every message it holds back to the broker (reject with requeue) and exits
with EX_TEMPFAIL; supervisord starts a fresh one. Running chunks end with the worker and
resume from their checkpoints on redelivery; a task that somehow ran twice is harmless
(chunks resume, the reducer records a result once).
"""

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

from celery import bootsteps
from celery.worker import state as worker_state

logger = logging.getLogger(__name__)

# What the worker exits with when it restarts itself (sysexits.h: try again).
EX_TEMPFAIL = 75
# A task must look stuck on this many checks in a row as well: after a SIGSTOP of the worker
# its first check sees old waits that the loop had no chance to hand out yet.
CHECKS_IN_A_ROW = 3


def check_interval(limit: float) -> float:
    """Seconds between checks: CHECKS_IN_A_ROW of them fit twice within ``limit``."""
    return max(0.5, limit / CHECKS_IN_A_ROW / 2)


@dataclass
class LimboWatch:
    """Which reserved tasks have been waiting, since when and on how many checks; pure."""

    limit: float
    seen: dict[str, tuple[float, int]] = field(default_factory=dict)

    def stuck(self, waiting: set[str], pool_free: bool, now: float) -> set[str]:
        """The ids among ``waiting`` (reserved, not started) that are stuck at ``now``."""
        if not pool_free:
            # Every process is busy: waiting is normal, and the clock starts afresh.
            self.seen.clear()
            return set()
        self.seen = {
            task_id: (self.seen[task_id][0], self.seen[task_id][1] + 1)
            if task_id in self.seen
            else (now, 1)
            for task_id in waiting
        }
        return {
            task_id
            for task_id, (since, checks) in self.seen.items()
            if now - since >= self.limit and checks >= CHECKS_IN_A_ROW
        }


class LimboGuard(bootsteps.StartStopStep):
    """Consumer step: restart the worker when a free pool does not start its tasks."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None
        self.watch: LimboWatch | None = None

    def start(self, parent: Any) -> None:
        settings = parent.app.settings
        self.watch = LimboWatch(settings.worker_limbo_seconds)
        interval = check_interval(settings.worker_limbo_seconds)
        self.timer_entry = parent.timer.call_repeatedly(interval, self.check, (parent,))

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            # Through the timer, as Celery's consumer cancels its own entries.
            parent.timer.cancel(self.timer_entry)
            self.timer_entry = None

    def check(self, parent: Any) -> None:
        assert self.watch is not None
        waiting = {
            request.id
            for request in list(worker_state.reserved_requests)
            if request not in worker_state.active_requests and not request.acknowledged
        }
        processes = getattr(parent.pool, "num_processes", None) or 0
        pool_free = len(worker_state.active_requests) < processes
        stuck = self.watch.stuck(waiting, pool_free, time.monotonic())
        if stuck:
            restart(
                f"tasks {', '.join(sorted(stuck))} waited {self.watch.limit:g} s for a free "
                "pool process that never started them"
            )


def restart(why: str, give_back: bool = True) -> NoReturn:
    """Exit for supervisord to start a fresh worker, after giving every message this worker
    holds back to the broker (``give_back``: only from the worker's own loop, which owns the
    channel)."""
    logger.error("%s; exiting for a fresh worker", why)
    try:
        for request in list(worker_state.requests.values()) if give_back else []:
            if not request.acknowledged:
                # One failed reject (the broker gone too) must not keep the rest, or the
                # worker: a message not given back is redelivered or resent by the sweep.
                with contextlib.suppress(Exception):
                    request.reject(requeue=True)
        for handler in logging.getLogger().handlers:
            handler.flush()
    finally:
        # Not a warm shutdown: it would wait for the tasks the pool lost, forever.
        os._exit(EX_TEMPFAIL)
