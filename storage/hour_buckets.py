"""One folder of index entries, split by the hour the jobs were created, so that the newest
page and the count of a store of 100,000 jobs need no listing of every entry.

  <folder>/<YYYYMMDDHH>/<created ns>-<id>     (the hour in UTC; names sort by creation)

A bucket's count is kept in memory by the bucket's mtime, which every added or removed entry
changes: only the buckets that changed since are listed again, usually the current hour's.
"""

import contextlib
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from storage.atomic import make_marker

ENTRY = re.compile(r"^(\d{20})-(.+)$")
_BUCKET = re.compile(r"^\d{10}$")
# A bucket changed this recently may change again within one tick of the file system's
# clock, leaving its mtime as it was: its count is not kept until it has been still longer.
SETTLED_NS = 2_000_000_000


def entry_name(job_id: str, created: datetime) -> str:
    return f"{int(created.timestamp() * 1e9):020d}-{job_id}"


def bucket_name(created: datetime) -> str:
    return created.astimezone(UTC).strftime("%Y%m%d%H")


class HourBuckets:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._counts: dict[str, tuple[int, int]] = {}

    def relative(self, job_id: str, created: datetime) -> str:
        return f"{bucket_name(created)}/{entry_name(job_id, created)}"

    def add(self, job_id: str, created: datetime) -> None:
        path = self.folder / self.relative(job_id, created)
        for _ in range(2):
            try:
                make_marker(path, make_folder=True)
                return
            except FileNotFoundError:
                continue  # the empty bucket was pruned between the two calls: make it again
        make_marker(path, make_folder=True)

    def remove(self, job_id: str, created: datetime | None) -> None:
        """Drop the job's entry; without its creation time, it is looked up."""
        if created is not None:
            # A string, not a Path: retention removes tens of thousands in a row.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.folder}/{self.relative(job_id, created)}")
            return
        for path in (*self.folder.glob(f"*/*-{job_id}"), *self.folder.glob(f"*-{job_id}")):
            path.unlink(missing_ok=True)

    def prune(self) -> None:
        """Remove the hours retention emptied (a bucket being added to refuses, and
        ``add`` makes it again if it went meanwhile)."""
        for bucket in self.buckets():
            with contextlib.suppress(OSError):
                (self.folder / bucket).rmdir()

    def created_before(self, moment: datetime) -> list[str]:
        """Ids of the entries created before ``moment``, oldest hours first."""
        last = bucket_name(moment)
        cut = entry_name("", moment)[:20]
        ids: list[str] = []
        for bucket in reversed(self.buckets()):
            if bucket > last:
                break
            names = reversed(self._names(bucket))
            ids.extend(name[21:] for name in names if bucket < last or name[:20] < cut)
        return ids

    def buckets(self) -> list[str]:
        """Bucket names, newest first."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        return sorted((name for name in names if _BUCKET.match(name)), reverse=True)

    def count(self, bucket: str) -> int:
        path = self.folder / bucket
        try:
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            return 0
        cached = self._counts.get(bucket)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        count = len(self._names(bucket))
        if time.time_ns() - mtime > SETTLED_NS:
            self._counts[bucket] = (mtime, count)
        return count

    def total(self) -> int:
        return sum(self.count(bucket) for bucket in self.buckets())

    def page(self, offset: int, limit: int) -> list[str]:
        """Ids of the entries ``offset`` to ``offset + limit``, newest first."""
        ids: list[str] = []
        for bucket in self.buckets():
            if len(ids) >= limit:
                break
            count = self.count(bucket)
            if offset >= count:
                offset -= count
                continue
            names = self._names(bucket)[offset : offset + limit - len(ids)]
            offset = 0
            ids.extend(name[21:] for name in names)
        return ids

    def ids(self) -> list[str]:
        """Every id, newest first."""
        return [name[21:] for bucket in self.buckets() for name in self._names(bucket)]

    def entries(self) -> Iterator[str]:
        """Every entry as a path relative to the folder (and entries of the flat layout of
        earlier versions, by name, so that a rebuild moves them into buckets)."""
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.folder):
                if _BUCKET.match(name):
                    yield from (f"{name}/{entry}" for entry in os.listdir(self.folder / name))
                elif ENTRY.match(name):
                    yield name

    def _names(self, bucket: str) -> list[str]:
        try:
            names = os.listdir(self.folder / bucket)
        except FileNotFoundError:
            return []
        return sorted((name for name in names if ENTRY.match(name)), reverse=True)
