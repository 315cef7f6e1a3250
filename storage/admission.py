"""Admission of new jobs against a limit on the unfinished ones, without listing them all.

Admission counts the pending markers (one folder listing) before each new job. With a limit
of thousands and a backlog near it, that listing was a large part of a submission's cost,
twice over (a check before the record is written and the binding one under the lock). So
whoever holds the admission lock keeps a bound beside it: the last count plus the jobs
admitted since. Finishing jobs only lower the true count, so the bound never falls below
it, and the folder is listed again only when the bound would refuse a job.

Only admission adds pending markers while the service runs. Whatever else adds them (the
index rebuilt at API start, a creation without admission) forgets the bound, and the next
admission counts.

The lock is held across a few system calls, and a thread of a busy API process waits for
the GIL after each of them, up to the interpreter's switch interval, while every other
process's submissions wait for the lock. So the bound lives in the lock file itself, read
and written through the descriptor that holds the lock, and the threads of one process
queue for the lock among themselves before one of them joins the other processes at the
``flock``.
"""

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.atomic import locked

# Raises to refuse a job; called with a number never below the unfinished jobs' count.
AdmitFn = Callable[[int], None]
# The bound is written right-aligned in this many characters, always over the same bytes.
_WIDTH = 20


class HeldAdmission:
    """The admission lock, held: the binding check and the bound, through its descriptor."""

    def __init__(self, fd: int, count: Callable[[], int]) -> None:
        self._fd = fd
        self._count = count

    def check(self, admit: AdmitFn) -> int:
        """``Admission.check``, binding: no other admission runs until the lock is let go."""
        return _check(_parse(os.pread(self._fd, _WIDTH, 0)), admit, self._count)

    def admitted(self, checked: int) -> None:
        """Once the job ``check`` accepted at ``checked`` is marked pending.

        Written in place, not replaced: a replacement is a new inode and a freed one per
        submission, and on ext4 without a journal every file created scans past the inodes
        freed in the last minutes. Only the holder writes, so the binding check never reads
        a partial number; the check before writing may, and it is advisory. Not fsynced:
        the API's start forgets the bound."""
        os.pwrite(self._fd, f"{checked + 1:>{_WIDTH}}".encode(), 0)

    def forget(self) -> None:
        os.ftruncate(self._fd, 0)


class Admission:
    def __init__(self, locks: Path, count: Callable[[], int]) -> None:
        self._locks = locks
        self._path = locks / "admission.lock"
        self._count = count
        self._threads = threading.Lock()
        # Once here, not before each admission: one system call fewer in every submission.
        locks.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def held(self) -> Iterator[HeldAdmission]:
        """Held while a creation admits its job, so two concurrent submissions cannot both
        take the last free place."""
        with self._threads, locked(self._path) as fd:
            yield HeldAdmission(fd, self._count)

    def check(self, admit: AdmitFn) -> int:
        """Run ``admit`` on the bound when there is one, and on a count when there is none
        or the bound was refused (a refusal must hold for the true count); the number it
        accepted. Outside ``held``, a check that spares a full service the writes of a job
        it will refuse; ``HeldAdmission.check`` is the binding one."""
        try:
            text = self._path.read_bytes()
        except FileNotFoundError:
            text = b""
        return _check(_parse(text), admit, self._count)

    def forget(self) -> None:
        """Pending markers were added outside admission: count at the next one. Never
        called under ``held``: it waits for an admission between its check and its note."""
        with self.held() as held:
            held.forget()
            # Where versions before the bound moved into the lock file kept it: one of them
            # still running beside this one counts at its next admission instead of trusting
            # a bound that no longer sees every admission.
            (self._locks / "pending.bound").unlink(missing_ok=True)


def _check(bound: int | None, admit: AdmitFn, count: Callable[[], int]) -> int:
    if bound is not None:
        try:
            admit(bound)
        except Exception:
            pass  # refused on a bound, which may be above the count: count
        else:
            return bound
    counted = count()
    admit(counted)
    return counted


def _parse(text: bytes) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None
