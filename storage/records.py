"""The on-disk records of a job and of each of its chunks."""

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from storage.clients import CLIENT_NAME
from storage.status import JobStatus

# The most digits a job record or a task's JSON carries inline: a job of more has its digits
# and certificate bounds only in files beside the record, served by /tasks/{id}/digits, so
# reading a finished job costs the same whatever its size.
INLINE_DIGITS = 100_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChunkKind(StrEnum):
    # Terms [start, stop) of the Leibniz series; both ends even so terms pair up.
    SERIES = "series"
    # A range of the tail: Euler-number terms m in [start, stop) (leibniz-euler), or
    # continued-fraction depths k in [start, stop) (leibniz-cf).
    CORRECTION = "correction"
    # mpmath's own digits for the check, computed beside the others (leibniz-cf).
    REFERENCE = "reference"


class ChunkSpec(_Record):
    """One chunk of a job's work: a range of series terms, or of correction terms."""

    index: int = Field(ge=0)
    start: int = Field(ge=0)
    stop: int = Field(ge=0)
    kind: ChunkKind = ChunkKind.SERIES
    # leibniz-euler recomputes every chunk in a new round at a higher precision; plain
    # leibniz keeps earlier rounds' chunks and appends more terms.
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
    # Plain leibniz: the proven bound on the float kernel's error.
    float_error_bound: float | None = None
    # leibniz-euler: K correction terms, precision P (units of 10^-P), and the bound on
    # the asymptotic remainder |E_2K| / (4^K M^(2K+1)), as a decimal string.
    correction_terms: int | None = None
    precision: int | None = None
    remainder_bound: str | None = None
    # leibniz-cf: the continued fraction's depth n (with precision P above).
    depth: int | None = None
    # Set when the bounds were longer than INLINE_DIGITS: lower and upper above are them
    # rounded outward to this many decimals (still a true bracket), and the full bounds are
    # stored beside the record (JobStore.bounds).
    bounds_cut: int | None = None


class FinalProgress(_Record):
    """A finished job's progress and start as they stood when it ended, kept in its record
    so that reading the job needs none of its chunk files."""

    starttime: datetime | None
    percent: float
    terms_done: int
    terms_total: int
    chunks_done: int
    chunks_total: int


class EulerParams(_Record):
    """The current round's plan of a leibniz-euler job (M is the job's terms_total)."""

    correction_terms: int = Field(ge=0)
    precision: int = Field(ge=1)
    guard: int = Field(ge=0)


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
    euler: EulerParams | None = None
    # The current round's plan numbers of a method that needs more than terms_total
    # (leibniz-cf: depth, precision, attempt).
    params: dict[str, int] = Field(default_factory=dict)
    # Where the job's completion webhook goes (storage.webhooks); None: no webhook.
    callback_url: str | None = None
    # Rounds of chunks: a second round runs only if the first did not fix the digits.
    rounds: int = 1
    dispatches: int = 0
    dispatched_at: datetime | None = None
    # Lower bound for the reported percent once an extension round has grown terms_total.
    percent_floor: float = 0.0
    # The digits are stored beside the record (JobStore.result); this is their count.
    # Records written before that hold the digits in ``result`` instead.
    result_length: int | None = None
    result: str | None = None
    certificate: Certificate | None = None
    # Written with SUCCESS; records of other ends, or written before it, leave it None and
    # readers count the chunk files.
    final: FinalProgress | None = None
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
    # leibniz-euler: the exact fixed-point sum s (hex, so no decimal digit limit applies)
    # with s <= 10^P * value < s + exact_error.
    exact_value: str | None = None
    exact_error: int = 0
    # leibniz-euler correction: whether this chunk had to compute the Euler numbers, and
    # how long that took.
    euler_computed: bool | None = None
    euler_seconds: float | None = None
    # The correction's bound on the asymptotic remainder, for the certificate.
    remainder_bound: str | None = None
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

    @property
    def finished(self) -> bool:
        return self.terms_done >= self.stop - self.start and self.status is JobStatus.SUCCESS
