"""The file-backed job store and the Celery result backend built on the same files."""

from storage.job_errors import CorruptRecordError, JobNotFoundError
from storage.job_files import Stamp
from storage.job_store import JobStore
from storage.records import ChunkRecord, ChunkSpec, JobRecord
from storage.status import JobStatus

__all__ = [
    "ChunkRecord",
    "ChunkSpec",
    "CorruptRecordError",
    "JobNotFoundError",
    "JobRecord",
    "JobStatus",
    "JobStore",
    "Stamp",
]
