"""Turn a job record and its chunk files into what a client sees."""

from datetime import UTC, datetime
from typing import Any

from api.schemas.method_fields import field_names
from api.schemas.tasks import (
    CertificatePublic,
    ChunkPublic,
    Progress,
    RunningResult,
    TaskPublic,
)
from pipeline.job_view import first_start
from pipeline.methods import UnknownMethodError, method_named
from pipeline.methods.base import ComputeMethod
from storage import ChunkRecord, CorruptRecordError, JobRecord, JobStatus
from storage.records import INLINE_DIGITS

# A running job never shows 100%: that is reserved for a certified result.
_RUNNING_CEILING = 99.9


def job_status(job: JobRecord, chunks: dict[int, ChunkRecord]) -> JobStatus:
    if job.status.finished:
        return job.status
    return JobStatus.PROGRESS if chunks else JobStatus.WAITING


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> Progress:
    counts = job.final if job.final is not None else method_named(job.method).progress(job, chunks)
    return Progress(
        percent=_shown_percent(job, counts.percent),
        terms_done=counts.terms_done,
        terms_total=counts.terms_total,
        chunks_done=counts.chunks_done,
        chunks_total=counts.chunks_total,
    )


def _shown_percent(job: JobRecord, computed: float) -> float:
    if job.status is JobStatus.SUCCESS:
        return 100.0
    return round(max(min(_RUNNING_CEILING, computed), job.percent_floor), 3)


def task_public(
    job: JobRecord, chunks: dict[int, ChunkRecord], digits: str | None, brief: bool = False
) -> TaskPublic:
    """The task as a client sees it; ``digits`` are its stored result, if it has one.
    ``brief`` leaves out the result (digits or intermediate value), as listings do."""
    status = job_status(job, chunks)
    try:
        method = method_named(job.method)
    except UnknownMethodError as exc:
        # Stored by a version with more methods: shown as stored, nothing computed from it.
        if status.finished:
            return _stored_task(job, status, None, None if brief else digits)
        return _stored_task(job, status, None, None, error=f"{exc}; this version cannot run it")
    prog = progress(job, chunks)
    result: str | RunningResult | None = None
    if not brief and status is JobStatus.SUCCESS:
        result = digits
    elif not brief and status in (JobStatus.WAITING, JobStatus.PROGRESS):
        result = RunningResult(percent=prog.percent, intermediate=method.intermediate(job, chunks))
    return _stored_task(job, status, prog, result, starttime=_starttime(job, chunks))


def _starttime(job: JobRecord, chunks: dict[int, ChunkRecord]) -> datetime | None:
    if job.final is not None:
        return job.final.starttime
    return first_start(chunks)


def inline_digits(job: JobRecord) -> bool:
    """Whether a client reading the job gets its digits in the JSON (else from /digits)."""
    return job.digits <= INLINE_DIGITS


def _stored_task(
    job: JobRecord,
    status: JobStatus,
    prog: Progress | None,
    result: str | RunningResult | None,
    starttime: datetime | None = None,
    error: str | None = None,
) -> TaskPublic:
    return TaskPublic(
        id=job.id,
        method=job.method,
        digits=job.digits,
        owner=job.owner,
        status=status,
        pushqtime=job.pushqtime,
        starttime=starttime,
        stoptime=job.stoptime,
        result=result,
        digits_url=f"/tasks/{job.id}/digits" if status is JobStatus.SUCCESS else None,
        progress=prog,
        certificate=certificate_public(job) if job.certificate else None,
        verified=job.verified,
        error=job.error or error,
    )


def unreadable_task(error: CorruptRecordError, created: float) -> TaskPublic:
    """A job whose record cannot be read is shown as failed, with the reason."""
    return TaskPublic(
        id=error.job_id,
        method=None,
        digits=None,
        status=JobStatus.FAILURE,
        pushqtime=datetime.fromtimestamp(created, UTC),
        starttime=None,
        stoptime=None,
        progress=None,
        error=str(error),
    )


def chunk_public(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[ChunkPublic]:
    method = known_method(job)
    shown = field_names("chunk_public_model")
    rows = []
    for spec in job.chunks:
        record = chunks.get(spec.index)
        rows.append(
            ChunkPublic(
                index=spec.index,
                kind=spec.kind,
                round=spec.round,
                start=spec.start,
                stop=spec.stop,
                terms_done=record.terms_done if record else 0,
                status=record.status if record else JobStatus.WAITING,
                worker=record.worker if record else None,
                attempts=record.attempts if record else 0,
                starttime=record.starttime if record else None,
                updatetime=record.updatetime if record else None,
                stoptime=record.stoptime if record else None,
                **chunk_fields(shown, method, record),
            )
        )
    return rows


def known_method(job: JobRecord) -> ComputeMethod | None:
    """The job's method; None for one stored by a version with more methods."""
    try:
        return method_named(job.method)
    except UnknownMethodError:
        return None


def certificate_public(job: JobRecord) -> CertificatePublic:
    """The certificate's shared fields and its method's figures as the method stored them
    (its model's dump), so a method this version does not know shows them too."""
    assert job.certificate is not None
    shared = job.certificate.model_dump(exclude={"details"})
    return CertificatePublic.model_validate({**shared, **job.certificate.details})


def chunk_fields(
    names: list[str], method: ComputeMethod | None, record: ChunkRecord | None
) -> dict[str, Any]:
    """Every method's shown chunk fields (``names``): null, but for the chunk's method's own
    values."""
    shown: dict[str, Any] = dict.fromkeys(names)
    if method is not None and record is not None:
        shown.update(method.chunk_public_model.of(record).model_dump(mode="json"))
    return shown
