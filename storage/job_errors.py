"""What the job store raises about a job it cannot answer for."""

from pathlib import Path


class JobNotFoundError(LookupError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class CorruptRecordError(ValueError):
    """A stored file exists but does not parse; the job is reported, never hidden."""

    def __init__(self, job_id: str, path: Path, reason: str) -> None:
        super().__init__(f"stored record of job {job_id} is unreadable ({path.name}: {reason})")
        self.job_id = job_id
        self.path = path
