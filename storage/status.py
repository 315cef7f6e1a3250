"""The one status vocabulary shared by the API, the job store and the tasks."""

from enum import StrEnum


class JobStatus(StrEnum):
    WAITING = "WAITING"
    PROGRESS = "PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    REVOKED = "REVOKED"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCESS, JobStatus.FAILURE, JobStatus.REVOKED)
