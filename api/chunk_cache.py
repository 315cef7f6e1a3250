"""Chunk records re-read only when their file changed, for views polled every second or two.

A job of 2,048 chunks costs ~120 ms to read and parse in full but ~15 ms to stat, and
between two polls only the few chunks being computed have changed.
"""

import threading

from storage import ChunkRecord, JobStore

Stamp = tuple[int, int, int]


class ChunkCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[int, tuple[Stamp, ChunkRecord | None]]] = {}

    def chunks(self, store: JobStore, job_id: str) -> dict[int, ChunkRecord]:
        stamps = store.chunk_stamps(job_id)
        with self._lock:
            known = self._jobs.get(job_id, {})
        fresh: dict[int, tuple[Stamp, ChunkRecord | None]] = {}
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

    def keep_only(self, job_ids: set[str]) -> None:
        """Forget the jobs not in ``job_ids`` (finished or deleted), so memory follows the
        unfinished jobs rather than every job ever shown."""
        with self._lock:
            for job_id in set(self._jobs) - job_ids:
                del self._jobs[job_id]
