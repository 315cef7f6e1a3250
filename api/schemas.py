"""Request and response models of the HTTP API (kept apart from the stored records)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from pipeline.jobs import Method
from storage import JobStatus


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digits: Annotated[int, Field(strict=True, ge=0, description="Decimals of pi wanted")]
    method: Method = Method.LEIBNIZ


class TaskCreated(BaseModel):
    id: str


class RunningResult(BaseModel):
    """The seed's shape for a running job."""

    percent: float
    intermediate: str | None = Field(
        description="Leibniz partial sum over the longest computed prefix, to `digits` decimals"
    )


class Progress(BaseModel):
    percent: float
    terms_done: int
    terms_total: int
    chunks_done: int
    chunks_total: int


class CertificatePublic(BaseModel):
    terms: int
    lower: str = Field(description="pi is strictly greater than this")
    upper: str = Field(description="pi is strictly less than this")
    float_error_bound: float
    rounds: int


# Keys left out of a task while they have no value, as in the seed's responses.
_OMITTED_WHEN_NONE = ("result", "certificate", "verified", "error")


class TaskPublic(BaseModel):
    id: str
    method: str | None
    digits: int | None
    status: JobStatus
    pushqtime: datetime
    starttime: datetime | None
    stoptime: datetime | None
    result: str | RunningResult | None = Field(
        default=None, description="The digits on SUCCESS; percent and intermediate while running"
    )
    progress: Progress | None
    certificate: CertificatePublic | None = None
    verified: bool | None = Field(default=None, description="mpmath agrees with the digits")
    error: str | None = None

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in _OMITTED_WHEN_NONE:
            if data.get(key) is None:
                data.pop(key, None)
        return data


class TaskList(BaseModel):
    tasks: list[TaskPublic]
    total: int
    limit: int
    offset: int


class ChunkPublic(BaseModel):
    index: int
    start: int
    stop: int
    terms_done: int
    status: JobStatus
    worker: str | None
    attempts: int
    starttime: datetime | None
    updatetime: datetime | None
    stoptime: datetime | None


class ChunkList(BaseModel):
    id: str
    chunks: list[ChunkPublic]
