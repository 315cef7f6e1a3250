"""The on-disk records of a job and of each of its chunks."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from storage.status import JobStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChunkSpec(_Record):
    """Terms [start, stop) of the Leibniz series; both ends even so terms pair up."""

    index: int = Field(ge=0)
    start: int = Field(ge=0)
    stop: int = Field(ge=0)

    @property
    def terms(self) -> int:
        return self.stop - self.start


class Certificate(_Record):
    terms: int
    # pi lies strictly inside (lower, upper); both are decimal strings rounded outward.
    lower: str
    upper: str
    float_error_bound: float
    rounds: int


class JobRecord(_Record):
    id: str
    method: str
    digits: int
    # On disk a job is WAITING until it ends; readers derive PROGRESS from its chunks.
    status: JobStatus = JobStatus.WAITING
    pushqtime: datetime = Field(default_factory=utcnow)
    stoptime: datetime | None = None
    terms_total: int
    chunks: list[ChunkSpec]
    # Rounds of chunks: a second round runs only if the first did not fix the digits.
    rounds: int = 1
    dispatches: int = 0
    dispatched_at: datetime | None = None
    # Lower bound for the reported percent once an extension round has grown terms_total.
    percent_floor: float = 0.0
    result: str | None = None
    certificate: Certificate | None = None
    verified: bool | None = None
    error: str | None = None


class ChunkRecord(_Record):
    """Progress of one chunk, written only by the task that computes it."""

    index: int
    start: int
    stop: int
    status: JobStatus = JobStatus.PROGRESS
    terms_done: int = 0
    # Sum of (-1)^k / (2k+1) over [start, start + terms_done), and a bound on its error.
    partial: float = 0.0
    error_bound: float = 0.0
    worker: str | None = None
    pid: int | None = None
    attempts: int = 0
    starttime: datetime | None = None
    updatetime: datetime | None = None
    stoptime: datetime | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.terms_done >= self.stop - self.start and self.status is JobStatus.SUCCESS
