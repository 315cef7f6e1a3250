"""Request and response models of the HTTP API (kept apart from the stored records)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from api.schemas.method_fields import schema_of_fields
from pipeline.methods import DEFAULT_METHOD, METHODS, method_named
from storage import JobStatus
from storage.records import ChunkKind


def _known_method(name: str) -> str:
    return method_named(name).name


MethodName = Annotated[
    str,
    AfterValidator(_known_method),
    Field(
        json_schema_extra={"enum": list(METHODS)},
        description="; ".join(
            f"`{m.name}`: {m.description} (at most {m.cap_setting})" for m in METHODS.values()
        ),
    ),
]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digits: Annotated[int, Field(strict=True, ge=0, description="Decimals of pi wanted")]
    method: MethodName = DEFAULT_METHOD
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="POSTed the brief task JSON, signed, once the task has ended; its host "
        "must be allowed by PICHORD_WEBHOOK_ALLOW",
    )


class MethodPublic(BaseModel):
    name: str
    label: str
    description: str
    max_digits: int = Field(description="The most digits this service computes by the method")
    cap_setting: str = Field(description="The setting that raises or lowers max_digits")
    convergence_axis: str = Field(
        description="What GET /tasks/{id}/convergence counts in `terms`: series `terms`, or "
        "the tail's continued-fraction `depth`"
    )


class TaskCreated(BaseModel):
    id: str


class RunningResult(BaseModel):
    """The seed's shape for a running job."""

    percent: float
    intermediate: str | None = Field(
        description="The value so far, as the job's method can show it: a partial sum over "
        "the longest computed prefix cut to `digits` decimals, or the digits already "
        "certified; null when it shows none"
    )


class Progress(BaseModel):
    percent: float
    terms_done: int
    terms_total: int
    chunks_done: int
    chunks_total: int


class CertificatePublic(BaseModel):
    """The shared bracket and the job's method's own figures (the fields named by methods)."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra=schema_of_fields("certificate_model")
    )

    terms: int = Field(description="M: terms of the series the method summed")
    lower: str = Field(description="pi is strictly greater than this")
    upper: str = Field(description="pi is strictly less than this")
    rounds: int
    bounds_cut: int | None = Field(
        default=None,
        description="Set when the bounds run past 10,000 digits: `lower` and `upper` are them "
        "rounded outward to this many decimals, and `GET /tasks/{id}/digits?of=lower` (or "
        "`upper`) serves them in full",
    )

    @model_serializer(mode="wrap")
    def _method_fields_then_cut(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The method's figures come before bounds_cut, as they always have; absent ones and
        # an uncut bracket's bounds_cut stay out of the response.
        data: dict[str, Any] = handler(self)
        cut = data.pop("bounds_cut", None)
        shown = {key: value for key, value in data.items() if value is not None}
        return shown if cut is None else {**shown, "bounds_cut": cut}


# Keys left out of a task while they have no value, as in the seed's responses.
_OMITTED_WHEN_NONE = ("result", "digits_url", "certificate", "verified", "error")


class TaskPublic(BaseModel):
    id: str
    method: str | None
    digits: int | None
    owner: str | None = Field(
        default=None, description="The client that submitted it; null without clients"
    )
    status: JobStatus
    pushqtime: datetime
    starttime: datetime | None
    stoptime: datetime | None
    result: str | RunningResult | None = Field(
        default=None,
        description="The digits on SUCCESS, up to 100,000 of them (more are served only by "
        "`digits_url`); percent and intermediate while running",
    )
    digits_url: str | None = Field(
        default=None, description="On SUCCESS: where to download the digits as text"
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
    """The shared progress of a chunk, then every method's own fields (null but for its
    method's), so every chunk has one shape."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra=schema_of_fields("chunk_public_model")
    )

    index: int
    kind: ChunkKind
    round: int
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
