"""What every method's reducer shares: reading a round's finished chunks, recording the
certified digits once, and starting a further round when the digits are not fixed yet."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.digits import cut_outward
from pipeline.job_view import ProgressCounts, first_start
from pipeline.verify import reference_digits
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import INLINE_BOUND_DIGITS, Certificate, ChunkKind, FinalProgress, utcnow

logger = logging.getLogger(__name__)

# Decimals shown beyond the certified ones at each end of a certificate's bracket.
BRACKET_EXTRA_DECIMALS = 3

# Decimals a certificate's bounds keep in the record when the full ones are stored beside it.
CUT_BOUND_DECIMALS = 50

# Cuts a term range into chunk ranges (a ChunkPlanner's split).
SplitFn = Callable[[int, int], list[tuple[int, int]]]


class IncompleteJobError(RuntimeError):
    """The chunks on record do not yet cover the job's current round."""


@dataclass(frozen=True)
class Extension:
    """The digits were not fixed: these new chunks must run, then the job is reduced again."""

    chunks: list[ChunkSpec]


def current_round(job: JobRecord) -> list[ChunkSpec]:
    """The chunks of the job's latest round, for methods that redo every chunk each round."""
    return [spec for spec in job.chunks if spec.round == job.rounds]


def finished_record(
    job: JobRecord, spec: ChunkSpec, records: dict[int, ChunkRecord]
) -> ChunkRecord:
    """The finished record of one planned chunk; IncompleteJobError if there is none yet."""
    record = records.get(spec.index)
    if record is None or not record.finished:
        raise IncompleteJobError(f"chunk {spec.index} of job {job.id} has not finished")
    if (record.start, record.stop) != (spec.start, spec.stop):
        raise IncompleteJobError(f"chunk {spec.index} of job {job.id} does not match its plan")
    return record


def finished_series(
    job: JobRecord, specs: list[ChunkSpec], records: dict[int, ChunkRecord]
) -> list[ChunkRecord]:
    """The finished records of the series chunks among ``specs`` in term order, which must
    tile [0, terms_total) exactly."""
    found = []
    position = 0
    for spec in sorted((s for s in specs if s.kind is ChunkKind.SERIES), key=lambda s: s.start):
        record = finished_record(job, spec, records)
        if spec.start != position:
            raise IncompleteJobError(f"chunks of job {job.id} leave a gap at term {position}")
        found.append(record)
        position = spec.stop
    if position != job.terms_total:
        raise IncompleteJobError(f"chunks of job {job.id} stop at {position} of {job.terms_total}")
    return found


def final_progress(counts: ProgressCounts, chunks: dict[int, ChunkRecord]) -> FinalProgress:
    """What a finished job shows of its progress, from the method's counts and its chunks."""
    return FinalProgress(
        starttime=first_start(chunks),
        percent=counts.percent,
        terms_done=counts.terms_done,
        terms_total=counts.terms_total,
        chunks_done=counts.chunks_done,
        chunks_total=counts.chunks_total,
    )


def record_success(
    store: JobStore,
    job: JobRecord,
    digits: str,
    certificate: Certificate,
    final: FinalProgress,
    reference: str | None = None,
) -> None:
    """Store the certified digits with mpmath's verdict on them (once: a duplicate reducer
    finds the job finished). The digits and long bounds go first: a record saying SUCCESS
    always has them. ``reference``: mpmath's digits if a chunk computed them already."""
    if reference is None:
        reference = reference_digits(job.digits)
    verified = digits == reference
    stored = store.save_result(job.id, digits)
    if job.digits > INLINE_BOUND_DIGITS:
        store.save_bounds(job.id, certificate.lower, certificate.upper)
        lower, upper = cut_outward(certificate.lower, certificate.upper, CUT_BOUND_DECIMALS)
        certificate = certificate.model_copy(
            update={"lower": lower, "upper": upper, "bounds_cut": CUT_BOUND_DECIMALS}
        )

    def finish(current: JobRecord) -> JobRecord | None:
        if current.status.finished:
            return None
        return current.model_copy(
            update={
                "status": JobStatus.SUCCESS,
                "stoptime": utcnow(),
                **stored,
                "certificate": certificate,
                "final": final,
                "verified": verified,
            }
        )

    store.update(job.id, finish)
    if not verified:
        logger.error("job %s: certified %s disagrees with mpmath", job.id, digits)


def start_round(
    store: JobStore, job: JobRecord, chunks: list[ChunkSpec], changes: dict[str, Any]
) -> bool:
    """Record the next round's chunks; False if another reducer did it first or the job ended."""
    started = False

    def advance(current: JobRecord) -> JobRecord | None:
        nonlocal started
        if current.status.finished or current.rounds != job.rounds:
            return None
        started = True
        return current.model_copy(
            update={
                **changes,
                "rounds": current.rounds + 1,
                "chunks": [*current.chunks, *chunks],
                # Progress was measured against the last round; it must not fall back.
                "percent_floor": 99.9,
            }
        )

    store.update(job.id, advance)
    return started
