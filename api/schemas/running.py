"""GET /running: the unfinished jobs, the fleet and the queue."""

from datetime import datetime

from pydantic import BaseModel, Field

from storage import JobStatus


class ProcessOnJob(BaseModel):
    worker: str | None
    pid: int | None
    chunk: int = Field(description="Index of the chunk the process is computing")


class RunningJob(BaseModel):
    id: str
    method: str
    digits: int
    owner: str | None = Field(default=None, description="The client that submitted it")
    status: JobStatus
    pushqtime: datetime
    percent: float
    terms_done: int
    terms_total: int
    chunks_done: int
    chunks_total: int
    processes: list[ProcessOnJob] = Field(
        description="Worker processes computing one of the job's chunks right now"
    )
    rate: float | None = Field(description="Terms per second over the last `rate_seconds`")
    rate_seconds: float | None = Field(
        description="Seconds the rate is measured over (since the first chunk started "
        "until this API has two readings of the job)"
    )
    eta_seconds: float | None = Field(description="Time left at the recent rate; null if stalled")


class RunningList(BaseModel):
    jobs: list[RunningJob] = Field(description="Every unfinished job, oldest first")
    processes_busy: int = Field(
        description="Worker processes computing a chunk of these jobs at this instant; it "
        "misses or catches the short gaps between two chunks, so it jumps: see `busy_share`"
    )
    processes_online: int = Field(
        description="Pool processes of the workers whose heartbeat is fresh (0 when none is)"
    )
    busy_share: float | None = Field(
        description="Share of those processes' time spent running tasks over the last "
        "`busy_window_seconds`, from the workers' heartbeats; null while no worker beats"
    )
    busy_window_seconds: float | None = Field(
        description="Seconds `busy_share` covers (less for a worker started more recently)"
    )
    queue: str
    queue_depth: int | None = Field(
        description="Messages waiting in the broker; null until the broker has answered"
    )
    queue_observed_at: float | None = Field(description="POSIX time of that answer")
    observed_at: float
