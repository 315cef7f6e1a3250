"""The room left on the state dir's file system, and the reserve new jobs may not eat into.

Every running job writes as it goes (checkpoints, chunk records, the result, its digits), and
the embedded broker keeps its messages there too. A new job accepted onto a nearly full disk
takes the room the jobs already running need to finish, so new jobs are refused first, while
some room is left: RabbitMQ does the same with its publishers (``disk_free_limit``).
"""

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

MIB = 1024 * 1024
# Errors meaning the file system has no room for a write (full, or over quota); a file that
# ``storage.atomic.write_bytes_atomic`` was replacing is then left as it was.
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class Room:
    free_bytes: int
    free_inodes: int
    # btrfs and some network file systems count no inodes (0 of 0): only bytes run out.
    counts_inodes: bool

    def shown(self) -> str:
        return f"{self.free_bytes / MIB:.1f} MiB and {self.free_inodes} inodes free"


@dataclass(frozen=True)
class Reserve:
    """What new jobs leave free; zero turns a limit off."""

    min_free_bytes: int
    min_free_inodes: int

    def shown(self) -> str:
        return f"{self.min_free_bytes / MIB:g} MiB and {self.min_free_inodes} inodes"


class StateDirFullError(RuntimeError):
    """No room for a new job: the state dir's file system is full, or below the reserve."""


class BelowReserveError(StateDirFullError):
    def __init__(self, room: Room, reserve: Reserve) -> None:
        super().__init__(
            f"the service's storage has {room.shown()}, below the {reserve.shown()} it keeps "
            "for the jobs already running (PICHORD_MIN_FREE_MB, PICHORD_MIN_FREE_INODES); "
            "no job was stored, retry once jobs have finished or space is freed"
        )
        self.room = room
        self.reserve = reserve


class WriteRefusedError(StateDirFullError):
    def __init__(self, cause: OSError) -> None:
        super().__init__(
            f"the service's storage is full ({cause.strerror}); no job was stored, retry once "
            "space is freed"
        )


def room_of(folder: Path) -> Room:
    found = os.statvfs(folder)
    # f_bavail and f_favail: what an unprivileged writer may still use.
    return Room(found.f_bavail * found.f_frsize, found.f_favail, found.f_files > 0)


def below_reserve(folder: Path, reserve: Reserve) -> Room | None:
    """The room left when it is below ``reserve``, else None."""
    room = room_of(folder)
    if room.free_bytes < reserve.min_free_bytes or (
        room.counts_inodes and room.free_inodes < reserve.min_free_inodes
    ):
        return room
    return None


def is_disk_full(exc: BaseException | None) -> TypeGuard[OSError]:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


def full_disk_behind(exc: BaseException) -> OSError | None:
    """The full disk's error among ``exc``'s causes (a broker client wraps it in its own
    error), if there is one."""
    cause: BaseException | None = exc
    while cause is not None:
        if is_disk_full(cause):
            return cause
        cause = cause.__cause__
    return None
