"""Run a program that dies when supervisord dies: ``python die_with_parent.py PROGRAM ARGS...``.

supervisord stops its programs only when it gets the chance. Killed with SIGKILL (the OOM
killer, ``kill -9``, a CI timeout) it leaves them running as orphans: the old API keeps the
port, a second beat appears with the next start. Linux's parent-death signal
(``prctl(PR_SET_PDEATHSIG)``) is kept across ``exec``, so the program this becomes is killed
by the kernel the moment supervisord is gone; Celery's pool processes already get the same
signal from their worker (billiard), so the whole tree goes.

SIGKILL rather than TERM: with supervisord gone nobody would escalate a shutdown that hangs,
and every write of the service is atomic, so a kill is a crash the job store and the brokers
already recover from (RabbitMQ redelivers, the stall sweep resends).

supervisord runs this by path, not with ``-m``: importing the ``config`` package would load
the settings (pydantic) once more in every program start for nothing.
"""

import ctypes
import os
import signal
import sys

# <linux/prctl.h>
PR_SET_PDEATHSIG = 1
# The launcher (config.supervisord) sets this to its own pid, which supervisord keeps: it is
# supervisord's pid. Without it the check below is skipped.
PARENT_PID_VARIABLE = "PICHORD_SUPERVISORD_PID"


class ParentDeathError(RuntimeError):
    """The parent-death signal could not be set, or the parent is already gone."""


def die_with_parent(expected_parent: int | None) -> None:
    """Have the kernel SIGKILL this process (and what it execs) when its parent exits."""
    if not sys.platform.startswith("linux"):
        raise ParentDeathError(
            f"the parent-death signal needs Linux (this is {sys.platform!r}); remove "
            "die_with_parent.py from the commands in ops/supervisor/supervisord.conf to run "
            "without it, knowing that programs outlive a killed supervisord"
        )
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise ParentDeathError(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")
    # supervisord may have died between its fork and the prctl above; the signal is then
    # never sent, and this process was already handed to another parent.
    if expected_parent is not None and os.getppid() != expected_parent:
        raise ParentDeathError(f"its parent (pid {expected_parent}) is already gone")


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: die_with_parent.py PROGRAM [ARGS...]")
    parent = os.environ.get(PARENT_PID_VARIABLE, "")
    if parent and not parent.isdigit():
        raise SystemExit(f"die_with_parent: {PARENT_PID_VARIABLE}={parent!r} is not a pid")
    try:
        die_with_parent(int(parent) if parent else None)
    except ParentDeathError as exc:
        raise SystemExit(f"die_with_parent: not starting {argv[0]!r}: {exc}") from exc
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
