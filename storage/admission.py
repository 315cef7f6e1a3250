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
"""

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.atomic import locked

# Raises to refuse a job; called with a number never below the unfinished jobs' count.
AdmitFn = Callable[[int], None]
# The bound is written right-aligned in this many characters, always over the same bytes.
_WIDTH = 20


class Admission:
    def __init__(self, locks: Path, count: Callable[[], int]) -> None:
        self._locks = locks
        self._bound = locks / "pending.bound"
        self._count = count

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Held while a creation admits its job, so two concurrent submissions cannot both
        take the last free place."""
        self._locks.mkdir(parents=True, exist_ok=True)
        with locked(self._locks / "admission.lock"):
            yield

    def check(self, admit: AdmitFn) -> int:
        """Run ``admit`` on the bound when there is one, and on a count when there is none
        or the bound was refused (a refusal must hold for the true count); the number it
        accepted. Binding only under ``held``; outside it, a check that spares a full
        service the writes of a job it will refuse."""
        bound = self._read()
        if bound is not None:
            try:
                admit(bound)
            except Exception:
                pass  # refused on a bound, which may be above the count: count
            else:
                return bound
        counted = self._count()
        admit(counted)
        return counted

    def admitted(self, checked: int) -> None:
        """Under ``held``, once the job ``check`` accepted at ``checked`` is marked pending.

        Written in place, not replaced: a replacement is a new inode and a freed one per
        submission, and on ext4 without a journal every file created scans past the inodes
        freed in the last minutes. Only ``held`` writes, so the binding check (also under
        ``held``) never reads a partial number; the check before writing may, and it is
        advisory. Not fsynced: the API's start forgets the bound."""
        fd = os.open(self._bound, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.pwrite(fd, f"{checked + 1:>{_WIDTH}}".encode(), 0)
        finally:
            os.close(fd)

    def forget(self) -> None:
        """Pending markers were added outside admission: count at the next one. Never
        called under ``held``: it waits for an admission between its check and its note."""
        with self.held():
            self._bound.unlink(missing_ok=True)

    def _read(self) -> int | None:
        try:
            text = self._bound.read_bytes().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None
