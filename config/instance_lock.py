"""One ``pichord serve`` per state dir and host: an ``flock`` held for supervisord's lifetime.

Two instances on one state dir would share log files, the supervisord pidfile and beat's
schedule, and the second one's API would fail on the first one's port. The launcher takes
the lock and hands its descriptor to supervisord through ``exec``, so it is held exactly as
long as supervisord lives: the kernel drops it when supervisord dies by any signal, and the
lock of a dead instance is simply taken over.

The lock's name carries the hostname because containers (docker compose) share one state
volume by design, each with a hostname of its own; on one machine the name is the same.
"""

import fcntl
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instance:
    """Who holds the lock: what a second ``pichord serve`` tells its user."""

    pid: int
    api: str
    ui: str


class AlreadyRunningError(RuntimeError):
    """Another live ``pichord serve`` holds the state dir."""


def lock_path(state_dir: Path) -> Path:
    return state_dir / "supervisor" / f"serve-{socket.gethostname()}.lock"


def acquire(state_dir: Path, me: Instance) -> int:
    """Lock the state dir for ``me``; returns the descriptor that holds the lock."""
    path = lock_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read(fd)
        os.close(fd)
        raise AlreadyRunningError(_describe(state_dir, holder)) from None
    # Rewritten in place, not replaced: a new file would not carry the lock.
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(me)).encode(), 0)
    return fd


def _read(fd: int) -> Instance | None:
    try:
        return Instance(**json.loads(os.pread(fd, 4096, 0)))
    except (ValueError, TypeError):
        # Written a moment ago and not yet complete, or from another version.
        return None


def _describe(state_dir: Path, holder: Instance | None) -> str:
    if holder is None:
        who = f"another pichord serve holds {lock_path(state_dir)}"
    else:
        who = f"supervisord pid {holder.pid}, API {holder.api}, supervisord UI {holder.ui}"
    return (
        f"already running on state dir {state_dir} ({who}). See it with "
        "`python -m config.supervisord ctl status`; stop it (Ctrl-C in its terminal, or kill "
        "the pid) or set PICHORD_STATE_DIR to another folder"
    )
