"""Markers beside the job folders, so nothing has to read every stored job to answer
"which jobs are unfinished?" or "which are newest?".

  pending/<id>              exists from creation until the job record is finished
  index/<created ns>-<id>   one per stored job; names sort by creation time

Each marker is an empty file written after the job record (see JobStore for the order),
and both can be rebuilt from the records.
"""

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from storage.layout import StateLayout

_ENTRY = re.compile(r"^(\d{20})-(.+)$")


class JobIndex:
    def __init__(self, layout: StateLayout, valid_id: re.Pattern[str]) -> None:
        self._pending = layout.pending
        self._index = layout.index
        self._valid_id = valid_id
        self._pending.mkdir(parents=True, exist_ok=True)
        self._index.mkdir(parents=True, exist_ok=True)

    def add(self, job_id: str, created: datetime, *, finished: bool) -> None:
        (self._index / _entry(job_id, created)).touch()
        if not finished:
            (self._pending / job_id).touch()

    def finished(self, job_id: str) -> None:
        (self._pending / job_id).unlink(missing_ok=True)

    def remove(self, job_id: str, created: datetime | None) -> None:
        """Drop both markers; without the creation time, the index entry is looked up."""
        self.finished(job_id)
        if created is not None:
            (self._index / _entry(job_id, created)).unlink(missing_ok=True)
            return
        for entry in self._index.glob(f"*-{job_id}"):
            entry.unlink(missing_ok=True)

    def pending_ids(self) -> list[str]:
        return [p.name for p in self._pending.iterdir() if self._valid_id.match(p.name)]

    def newest_first(self) -> list[str]:
        """Ids by creation time, newest first (sorting names, no file is opened)."""
        ids = []
        for name in sorted((p.name for p in self._index.iterdir()), reverse=True):
            found = _ENTRY.match(name)
            if found and self._valid_id.match(found.group(2)):
                ids.append(found.group(2))
        return ids

    def rebuild(self, jobs: Iterable[tuple[str, datetime | None, bool]]) -> None:
        """Make the markers agree with (id, created, finished) of every stored job; a job
        whose record is unreadable has no creation time and counts as finished."""
        wanted_index = set()
        wanted_pending = set()
        for job_id, created, finished in jobs:
            if created is not None:
                wanted_index.add(_entry(job_id, created))
            if not finished:
                wanted_pending.add(job_id)
        _sync(self._index, wanted_index)
        _sync(self._pending, wanted_pending)


def _entry(job_id: str, created: datetime) -> str:
    return f"{int(created.timestamp() * 1e9):020d}-{job_id}"


def _sync(folder: Path, wanted: set[str]) -> None:
    present = {p.name for p in folder.iterdir()}
    for name in present - wanted:
        (folder / name).unlink(missing_ok=True)
    for name in wanted - present:
        (folder / name).touch()
