"""Job records read once per change: a worker process runs chunk after chunk of one job, and
parsing a record of 2,000 chunks costs milliseconds each time, while the record changes only
between rounds. A stat tells whether the file was replaced (every write is a new inode)."""

from cachetools import LRUCache

from storage.job_errors import JobNotFoundError
from storage.job_files import Stamp
from storage.job_store import JobStore
from storage.records import JobRecord


class RecordCache:
    """The last ``size`` job records read, each shared: callers must not modify them."""

    def __init__(self, store: JobStore, size: int = 16) -> None:
        self._store = store
        self._records: LRUCache[str, tuple[Stamp, JobRecord]] = LRUCache(size)

    def get(self, job_id: str) -> JobRecord:
        stamp = self._store.record_stamp(job_id)
        if stamp is None:
            self._records.pop(job_id, None)
            raise JobNotFoundError(job_id)
        cached = self._records.get(job_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        record = self._store.get(job_id)
        self._records[job_id] = (stamp, record)
        return record
