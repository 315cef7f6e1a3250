"""Combine a job's chunks exactly, certify the digits, and record the outcome."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pipeline.certify import Bracket, pi_bracket
from pipeline.planning import extended_terms
from pipeline.verify import agrees_with_mpmath
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStatus, JobStore
from storage.records import Certificate, PartKind, utcnow

logger = logging.getLogger(__name__)

# Cuts a term range into chunk ranges (a ChunkPlanner's split).
SplitFn = Callable[[int, int], list[tuple[int, int]]]


class IncompleteJobError(RuntimeError):
    """The chunks on record do not yet cover the job's terms."""


@dataclass(frozen=True)
class Extension:
    """The bracket was too wide: these new chunks must run, then the job is reduced again."""

    chunks: list[ChunkSpec]


def finished_record(
    job: JobRecord, spec: ChunkSpec, records: dict[int, ChunkRecord]
) -> ChunkRecord:
    """The finished record of one planned part; IncompleteJobError if there is none yet."""
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
    for spec in sorted((s for s in specs if s.kind is PartKind.SERIES), key=lambda s: s.start):
        record = finished_record(job, spec, records)
        if spec.start != position:
            raise IncompleteJobError(f"chunks of job {job.id} leave a gap at term {position}")
        found.append(record)
        position = spec.stop
    if position != job.terms_total:
        raise IncompleteJobError(f"chunks of job {job.id} stop at {position} of {job.terms_total}")
    return found


def combine(job: JobRecord, records: dict[int, ChunkRecord]) -> Bracket:
    """pi's bracket from the finished chunks, which must tile [0, terms_total) exactly."""
    done = finished_series(job, job.chunks, records)
    # Fraction(float) is exact, so the sum of the chunk values carries no new error.
    total = sum((Fraction(record.partial) for record in done), Fraction(0))
    bound = sum((Fraction(record.error_bound) for record in done), Fraction(0))
    return pi_bracket(job.terms_total, total, bound)


def record_success(store: JobStore, job: JobRecord, digits: str, certificate: Certificate) -> None:
    """Store the certified digits with mpmath's verdict on them (once: a duplicate reducer
    finds the job finished)."""
    verified = agrees_with_mpmath(digits, job.digits)

    def finish(current: JobRecord) -> JobRecord | None:
        if current.status.finished:
            return None
        return current.model_copy(
            update={
                "status": JobStatus.SUCCESS,
                "stoptime": utcnow(),
                "result": digits,
                "certificate": certificate,
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


def reduce_job(store: JobStore, job_id: str, split: SplitFn) -> Extension | None:
    """Finish the job, or plan an extension round when the bracket does not fix the digits.

    Safe to run more than once: a finished job is left as it is, and an extension is planned
    only by the first reducer that sees the current number of terms.
    """
    job = store.get(job_id)
    if job.status.finished:
        return None
    bracket = combine(job, store.chunks(job_id))
    if bracket.certifies(job.digits):
        result = bracket.digits(job.digits)
        certificate = Certificate(
            terms=bracket.terms,
            lower=bracket.lower_text(),
            upper=bracket.upper_text(),
            float_error_bound=float(bracket.float_error_bound),
            rounds=job.rounds,
        )
        record_success(store, job, result, certificate)
        return None

    new_total = extended_terms(job.terms_total)
    ranges = split(job.terms_total, new_total)
    first = len(job.chunks)
    new_chunks = [ChunkSpec(index=first + i, start=a, stop=b) for i, (a, b) in enumerate(ranges)]

    if not start_round(store, job, new_chunks, {"terms_total": new_total}):
        return None
    logger.info(
        "job %s: %d terms did not fix the digits; extending to %d",
        job_id,
        job.terms_total,
        new_total,
    )
    return Extension(new_chunks)
