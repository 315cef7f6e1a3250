"""Job records read once per change: a worker process runs chunk after chunk of one job, and
parsing a record of 2,000 chunks costs milliseconds each time, while the record changes only
between rounds. A stat tells whether the file was replaced (every write is a new inode)."""

import os
from collections import OrderedDict

from storage.job_store import JobNotFoundError, JobStore
from storage.records import JobRecord

_Stamp = tuple[int, int, int]


class RecordCache:
    """The last ``size`` job records read, each shared: callers must not modify them."""

    def __init__(self, store: JobStore, size: int = 16) -> None:
        self._store = store
        self._size = size
        self._records: OrderedDict[str, tuple[_Stamp, JobRecord]] = OrderedDict()

    def get(self, job_id: str) -> JobRecord:
        try:
            st = os.stat(self._store.record_path(job_id))
        except FileNotFoundError:
            self._records.pop(job_id, None)
            raise JobNotFoundError(job_id) from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._records.get(job_id)
        if cached is not None and cached[0] == stamp:
            self._records.move_to_end(job_id)
            return cached[1]
        record = self._store.get(job_id)
        self._records[job_id] = (stamp, record)
        if len(self._records) > self._size:
            self._records.popitem(last=False)
        return record
