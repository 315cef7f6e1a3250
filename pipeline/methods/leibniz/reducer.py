"""Combine a plain Leibniz job's chunks exactly, certify the digits, or grow the series."""

import logging
from fractions import Fraction

from pipeline.methods.leibniz import view
from pipeline.methods.leibniz.certificate import Bracket, pi_bracket
from pipeline.methods.leibniz.models import LeibnizCertificate, LeibnizChunk
from pipeline.methods.leibniz.plan import extended_terms
from pipeline.rounds import (
    Extension,
    SplitFn,
    final_progress,
    finished_series,
    record_success,
    start_round,
)
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore

logger = logging.getLogger(__name__)


def combine(job: JobRecord, records: dict[int, ChunkRecord]) -> Bracket:
    """pi's bracket from the finished chunks, which must tile [0, terms_total) exactly."""
    done = [LeibnizChunk.of(record) for record in finished_series(job, job.chunks, records)]
    # Fraction(float) is exact, so the sum of the chunk values carries no new error.
    total = sum((Fraction(chunk.partial) for chunk in done), Fraction(0))
    bound = sum((Fraction(chunk.error_bound) for chunk in done), Fraction(0))
    return pi_bracket(job.terms_total, total, bound)


def reduce_job(
    store: JobStore,
    job_id: str,
    split: SplitFn,
    records: dict[int, ChunkRecord] | None = None,
) -> Extension | None:
    """Finish the job, or plan an extension round when the bracket does not fix the digits.
    ``records``: the job's chunks, when the caller has read them already (before the job:
    a round that started in between is then incomplete in them, and this reducer stands
    down as it does for any round it does not see whole).

    Safe to run more than once: a finished job is left as it is, and an extension is planned
    only by the first reducer that sees the current number of terms.
    """
    job = store.get(job_id)
    if job.status.finished:
        return None
    if records is None:
        records = store.chunks(job_id)
    bracket = combine(job, records)
    if bracket.certifies(job.digits):
        result = bracket.digits(job.digits)
        certificate = LeibnizCertificate(
            float_error_bound=float(bracket.float_error_bound)
        ).certificate(bracket.terms, bracket.lower_text(), bracket.upper_text(), job.rounds)
        final = final_progress(view.progress(job, records), records)
        record_success(store, job, result, certificate, final)
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
