"""Answers of jobs that ended with their final progress, rendered once per record version.

Such a job's answer comes from its record alone and never changes, yet ``GET /tasks/{id}``
parsed the record and rendered its JSON on every read: for a 100,000-digit job (an answer of
~300 KB, the largest inline) that was 0.6 ms of a ~2 ms read. The rendered bytes are kept by
the record's stamp (inode, mtime, size: every write replaces the file), so a record rewritten
after the end is rendered again, and a removed job is answered 404 as before. A job that
ended otherwise (cancelled, failed) is still read with its chunks, which may still change.
One cache per API process.
"""

import threading

from cachetools import LRUCache

from storage import Stamp

# Per API process: ~100 answers of the largest inline size, or thousands of small ones.
DEFAULT_MAX_BYTES = 32 << 20

Answer = tuple[Stamp, bytes]


def _answer_bytes(answer: Answer) -> int:
    return len(answer[1])


class AnswerCache:
    """Rendered answers, the least recently read dropped first beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._lock = threading.Lock()
        self._answers: LRUCache[str, Answer] = LRUCache(max_bytes, getsizeof=_answer_bytes)

    def get(self, job_id: str, stamp: Stamp) -> bytes | None:
        with self._lock:
            cached = self._answers.get(job_id)
        if cached is None or cached[0] != stamp:
            return None
        return cached[1]

    def put(self, job_id: str, stamp: Stamp, answer: bytes) -> None:
        if len(answer) > self._answers.maxsize:
            return  # the cache would refuse it (ValueError)
        with self._lock:
            self._answers[job_id] = (stamp, answer)

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._answers.pop(job_id, None)
