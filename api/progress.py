"""Turn a job record and its chunk files into what a client sees."""

from datetime import UTC, datetime
from fractions import Fraction

from api.euler_progress import euler_intermediate, euler_progress
from api.prefix import series_prefix
from api.schemas import (
    CertificatePublic,
    ChunkPublic,
    Progress,
    RunningResult,
    TaskPublic,
)
from pipeline.digits import format_truncated
from pipeline.methods import Method
from storage import ChunkRecord, CorruptRecordError, JobRecord, JobStatus

# A running job never shows 100%: that is reserved for a certified result.
_RUNNING_CEILING = 99.9


def job_status(job: JobRecord, chunks: dict[int, ChunkRecord]) -> JobStatus:
    if job.status.finished:
        return job.status
    return JobStatus.PROGRESS if chunks else JobStatus.WAITING


def progress(job: JobRecord, chunks: dict[int, ChunkRecord]) -> Progress:
    if job.method == Method.LEIBNIZ_EULER:
        percent, counts = euler_progress(job, chunks)
        return counts.model_copy(update={"percent": _shown_percent(job, percent)})
    done = 0
    finished = 0
    for spec in job.chunks:
        record = chunks.get(spec.index)
        if record is not None:
            done += min(record.terms_done, spec.terms)
            finished += record.finished
    return Progress(
        percent=_shown_percent(job, 100.0 * done / job.terms_total),
        terms_done=done,
        terms_total=job.terms_total,
        chunks_done=finished,
        chunks_total=len(job.chunks),
    )


def _shown_percent(job: JobRecord, computed: float) -> float:
    if job.status is JobStatus.SUCCESS:
        return 100.0
    return round(max(min(_RUNNING_CEILING, computed), job.percent_floor), 3)


def intermediate(job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
    """S_N' over the longest prefix [0, N') of terms computed so far, cut to ``digits``."""
    if job.method == Method.LEIBNIZ_EULER:
        return euler_intermediate(job, chunks)
    prefix = series_prefix(job, chunks)
    if not prefix:
        return None
    return format_truncated(4 * sum((Fraction(r.partial) for r in prefix), Fraction(0)), job.digits)


def task_public(job: JobRecord, chunks: dict[int, ChunkRecord]) -> TaskPublic:
    status = job_status(job, chunks)
    prog = progress(job, chunks)
    starts = [c.starttime for c in chunks.values() if c.starttime is not None]
    result: str | RunningResult | None = None
    if status is JobStatus.SUCCESS:
        result = job.result
    elif status in (JobStatus.WAITING, JobStatus.PROGRESS):
        result = RunningResult(percent=prog.percent, intermediate=intermediate(job, chunks))
    return TaskPublic(
        id=job.id,
        method=job.method,
        digits=job.digits,
        status=status,
        pushqtime=job.pushqtime,
        starttime=min(starts) if starts else None,
        stoptime=job.stoptime,
        result=result,
        progress=prog,
        certificate=(
            CertificatePublic.model_validate(job.certificate.model_dump())
            if job.certificate
            else None
        ),
        verified=job.verified,
        error=job.error,
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
                euler_computed=record.euler_computed if record else None,
                euler_seconds=record.euler_seconds if record else None,
            )
        )
    return rows
