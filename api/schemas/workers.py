"""GET /workers: the workers that answered and the queue depth."""

from pydantic import BaseModel, Field


class WorkerPublic(BaseModel):
    name: str
    host: str
    pid: int
    concurrency: int | None
    active: int = Field(description="Tasks running now")
    processed: dict[str, int] = Field(description="Tasks run since the worker started, by name")
    cpu_percent: float = Field(description="Worker host CPU use since the previous status request")
    load_average: list[float] = Field(description="Worker host load average, 1/5/15 minutes")


class WorkerList(BaseModel):
    workers: list[WorkerPublic]
    queue: str
    queue_depth: int | None = Field(description="Messages waiting; null if the broker is down")
    observed_at: float = Field(description="POSIX time of the inspection (cached briefly)")
