"""Chunk records re-read only when their file changed, for views polled every second or two.

A job of 2,048 chunks costs ~120 ms to read and parse in full but ~15 ms to stat, and
between two polls only the few chunks being computed have changed. One cache per API
process serves every route that reads an unfinished job's chunks; a finished job's are read
directly (they no longer change, and a listing of hundreds of them would push out the
running ones).
"""

import threading

from cachetools import LRUCache

from storage import ChunkRecord, JobRecord, JobStore, Stamp

Cached = dict[int, tuple[Stamp, ChunkRecord | None]]


class ChunkCache:
    """At most ``max_jobs`` jobs' records, the least recently read dropped first (a
    2,048-chunk job's take ~4 MB): make it at least the unfinished jobs the service admits,
    or /running, which reads them all in turn, would drop each just before it is needed."""

    def __init__(self, max_jobs: int) -> None:
        self._lock = threading.Lock()
        self._jobs: LRUCache[str, Cached] = LRUCache(max_jobs)

    def chunks(self, store: JobStore, job_id: str) -> dict[int, ChunkRecord]:
        stamps = store.chunk_stamps(job_id)
        with self._lock:
            known = self._jobs.get(job_id, {})
        fresh: Cached = {}
        for index, stamp in stamps.items():
            cached = known.get(index)
            if cached is not None and cached[0] == stamp:
                fresh[index] = cached
            else:
                # An unreadable file stays cached as None until it is replaced.
                fresh[index] = (stamp, store.get_chunk(job_id, index))
        with self._lock:
            self._jobs[job_id] = fresh
        return {index: record for index, (_, record) in fresh.items() if record is not None}

    def job_chunks(self, store: JobStore, job: JobRecord) -> dict[int, ChunkRecord]:
        """The job's chunk records: cached while it can change, read directly once finished."""
        if job.status.finished:
            return store.chunks(job.id)
        return self.chunks(store, job.id)

    def keep_only(self, job_ids: set[str]) -> None:
        """Forget the jobs not in ``job_ids`` (finished or deleted), so memory follows the
        unfinished jobs rather than every job ever shown."""
        with self._lock:
            for job_id in set(self._jobs) - job_ids:
                self._jobs.pop(job_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)
