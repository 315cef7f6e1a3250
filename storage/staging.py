"""A new job's folder written aside, under a name nothing lists, then moved into place.

``jobs/.<id>.new/`` holds the folder while it is written; ``jobs/.<id>.new.lock`` is held by
the process writing it, so a folder whose lock is free lost its writer (the kernel drops a
dead process's lock) and may be removed, whatever its age.
"""

import contextlib
import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from storage.atomic import locked, try_locked
from storage.removal import remove_tree

logger = logging.getLogger(__name__)

_STAGED = ".new"
_LOCK = ".lock"


class StagedFolder:
    """The folder being written for one new job, and its move into place."""

    def __init__(self, jobs: Path, job_id: str) -> None:
        self.path = jobs / f".{job_id}{_STAGED}"
        self._job_id = job_id
        self._place: Path | None = None

    def move_to(self, place: Path) -> None:
        """Rename the folder to ``place``; FileExistsError if a stored job is there."""
        try:
            os.rename(self.path, place)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            raise FileExistsError(f"job {self._job_id} is stored already") from exc
        self._place = place

    def move_back(self) -> None:
        """Undo ``move_to``: the folder is staged again, and removed with its staging. If it
        cannot be renamed, it is removed where it is: a job that was not taken must not stay
        (and the error that undid it is the one to raise)."""
        if self._place is None:
            return
        try:
            os.rename(self._place, self.path)
        except OSError as exc:
            logger.warning("removing %s in place (%s)", self._place, exc)
            remove_tree(self._place)
        self._place = None


@contextlib.contextmanager
def staged(jobs: Path, job_id: str) -> Iterator[StagedFolder]:
    """A staged folder for the job, held while the block runs and removed after it unless it
    was moved into place."""
    folder = StagedFolder(jobs, job_id)
    lock = folder.path.with_name(folder.path.name + _LOCK)
    with locked(lock):
        try:
            folder.path.mkdir()
            yield folder
        finally:
            remove_tree(folder.path)
            lock.unlink(missing_ok=True)


def remove_abandoned(jobs: Path) -> None:
    """Remove the staged folders whose writer is gone (a crash cut the creation short)."""
    with os.scandir(jobs) as entries:
        names = [entry.name for entry in entries if entry.name.endswith(_STAGED)]
    for name in names:
        lock = jobs / (name + _LOCK)
        with try_locked(lock) as free:
            if free and (jobs / name).exists():
                logger.warning("removing %s, a job creation cut short", jobs / name)
                remove_tree(jobs / name)
        if free:
            lock.unlink(missing_ok=True)
