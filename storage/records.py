"""The on-disk records of a job and of each of its chunks."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storage.clients import CLIENT_NAME
from storage.status import JobStatus

# The most digits a job record or a task's JSON carries inline: a job of more has its digits
# and certificate bounds only in files beside the record, served by /tasks/{id}/digits, so
# reading a finished job costs the same whatever its size.
INLINE_DIGITS = 100_000
# The most digits a certificate's bounds keep in the record and the task's JSON: past it they
# are rounded outward to a few decimals (still a true bracket), in full in a file beside the
# record. Lower than INLINE_DIGITS: a 100,000-digit job's two bounds made its answer three
# times its digits (293 KiB), and reading it took 2.3-2.8 ms on a slow 2-core machine.
INLINE_BOUND_DIGITS = 10_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _gather_extras(data: Any, model: type[BaseModel], into: str) -> Any:
    """Records written before a method's own data had a key of its own kept that data in
    keys of the record itself: those keys, unknown here, become the opaque ``into`` dict,
    for the method's models to read (and to upgrade, if their shape has changed too)."""
    if not isinstance(data, dict) or into in data:
        return data
    extras = {key: data[key] for key in data if key not in model.model_fields}
    kept = {key: value for key, value in data.items() if key not in extras}
    return {**kept, into: {key: value for key, value in extras.items() if value is not None}}


class ChunkKind(StrEnum):
    # Terms [start, stop) of the Leibniz series; both ends even so terms pair up.
    SERIES = "series"
    # A range [start, stop) of what the method adds to the series' tail: its correction
    # terms, or the depths of a continued fraction.
    CORRECTION = "correction"
    # A reference value for the check (mpmath's own digits), computed beside the others.
    REFERENCE = "reference"


class ChunkSpec(_Record):
    """One chunk of a job's work: a range of series terms, or of correction terms."""

    index: int = Field(ge=0)
    start: int = Field(ge=0)
    stop: int = Field(ge=0)
    kind: ChunkKind = ChunkKind.SERIES
    # A new round either recomputes every chunk at a higher precision or keeps the earlier
    # rounds' chunks and appends more terms: the method chooses.
    round: int = Field(default=1, ge=1)

    @property
    def terms(self) -> int:
        return self.stop - self.start


class Certificate(_Record):
    terms: int
    # pi lies strictly inside (lower, upper); both are decimal strings rounded outward.
    lower: str
    upper: str
    rounds: int
    # The method's own figures (its certificate model), kept here as it dumped them.
    details: dict[str, Any] = Field(default_factory=dict)
    # Set when the bounds were longer than INLINE_BOUND_DIGITS: lower and upper above are them
    # rounded outward to this many decimals (still a true bracket), and the full bounds are
    # stored beside the record (JobStore.bounds).
    bounds_cut: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _details_of_old_records(cls, data: Any) -> Any:
        return _gather_extras(data, cls, "details")


class FinalProgress(_Record):
    """A finished job's progress and start as they stood when it ended, kept in its record
    so that reading the job needs none of its chunk files."""

    starttime: datetime | None
    percent: float
    terms_done: int
    terms_total: int
    chunks_done: int
    chunks_total: int


class JobRecord(_Record):
    id: str
    method: str
    digits: int
    # The client that submitted it (storage.clients); None when the service had no clients.
    owner: str | None = Field(default=None, pattern=CLIENT_NAME)
    # On disk a job is WAITING until it ends; readers derive PROGRESS from its chunks.
    status: JobStatus = JobStatus.WAITING
    pushqtime: datetime = Field(default_factory=utcnow)
    stoptime: datetime | None = None
    terms_total: int
    chunks: list[ChunkSpec]
    # The current round's plan beyond terms_total, as the job's method dumped its plan model.
    plan: dict[str, Any] = Field(default_factory=dict)
    # Where the job's completion webhook goes (storage.webhooks); None: no webhook.
    callback_url: str | None = None
    # Rounds of chunks: a second round runs only if the first did not fix the digits.
    rounds: int = 1
    dispatches: int = 0
    dispatched_at: datetime | None = None
    # Lower bound for the reported percent once an extension round has grown terms_total.
    percent_floor: float = 0.0
    # Digits longer than RECORD_RESULT_CHARS are stored beside the record (JobStore.result);
    # this is their count. Shorter ones are in ``result``, as all were before result.txt.
    result_length: int | None = None
    result: str | None = None
    certificate: Certificate | None = None
    # Written with SUCCESS; records of other ends, or written before it, leave it None and
    # readers count the chunk files.
    final: FinalProgress | None = None
    verified: bool | None = None
    error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plan_of_old_records(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "plan" in data:
            return data
        data = _gather_extras(data, cls, "plan")
        # ``params`` was this record's own generic plan dict before ``plan`` took its place.
        plan = data["plan"]
        data["plan"] = {**plan.pop("params", {}), **plan}
        return data


class ChunkRecord(_Record):
    """Progress of one chunk, written only by the task that computes it."""

    index: int
    start: int
    stop: int
    status: JobStatus = JobStatus.PROGRESS
    terms_done: int = 0
    # What the method has computed of [start, start + terms_done) so far, as its chunk
    # details model dumped it.
    details: dict[str, Any] = Field(default_factory=dict)
    worker: str | None = None
    pid: int | None = None
    # The Celery task id of the lane ticket that computes (or computed) the chunk.
    task_id: str | None = None
    attempts: int = 0
    # How long the ticket that claimed the chunk waited in the queue, its last attempt's.
    queue_seconds: float | None = None
    # When the last attempt started (starttime is the first's); with stoptime, its run.
    attempt_start: datetime | None = None
    starttime: datetime | None = None
    updatetime: datetime | None = None
    stoptime: datetime | None = None
    error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _details_of_old_records(cls, data: Any) -> Any:
        return _gather_extras(data, cls, "details")

    @property
    def finished(self) -> bool:
        return self.terms_done >= self.stop - self.start and self.status is JobStatus.SUCCESS
