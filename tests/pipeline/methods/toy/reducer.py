"""Certify a toy job from its two chunks."""

from pipeline.rounds import Extension, final_progress, finished_series, record_success
from storage import JobStore
from tests.pipeline.methods.toy import view
from tests.pipeline.methods.toy.certificate import bracket_text, certified_digits
from tests.pipeline.methods.toy.models import ToyCertificate, ToyChunk, ToyPlanParams
from tests.pipeline.methods.toy.plan import TERMS


class UncertifiedError(RuntimeError):
    pass


def reduce_job(store: JobStore, job_id: str) -> Extension | None:
    job = store.get(job_id)
    if job.status.finished:
        return None
    records = store.chunks(job_id)
    chunks = [ToyChunk.of(record) for record in finished_series(job, job.chunks, records)]
    precision = ToyPlanParams.of(job).precision
    value = sum(int(chunk.value or "0", 16) for chunk in chunks)
    coefficients = [abs(coefficient) for coefficient, _ in TERMS]
    error = sum(c * chunk.error for c, chunk in zip(coefficients, chunks, strict=True))
    digits = certified_digits(value, error, precision, job.digits)
    if digits is None:
        raise UncertifiedError(f"job {job_id}: {precision} digits of precision were too few")
    lower, upper = bracket_text(value, error, precision, job.digits + 3)
    figures = ToyCertificate(formula="16 atan(1/5) - 4 atan(1/239)", precision=precision)
    certificate = figures.certificate(job.terms_total, lower, upper, job.rounds)
    record_success(
        store, job, digits, certificate, final_progress(view.progress(job, records), records)
    )
    return None
