"""Jobs of each method run in process, chunk by chunk as the workers run them, then reduced."""

from config import Settings
from pipeline.chunk_runner import run_chunk
from pipeline.jobs import plan_job
from pipeline.methods import method_named
from storage import JobRecord, JobStore

# Small jobs of every method: fast, yet each with several chunks of each kind it has.
DIGITS = {"leibniz": 3, "leibniz-euler": 60, "leibniz-cf": 60}
PROCESSES = 2


def planned_job(settings: Settings, method: str, digits: int | None = None) -> JobRecord:
    job = plan_job(settings, method, DIGITS[method] if digits is None else digits, PROCESSES)
    JobStore(settings.state_dir).create(job)
    return job


def run_round(settings: Settings, job: JobRecord, first_only: bool = False) -> None:
    """Compute the chunks of the job's current round (only the first series chunk, if asked)."""
    store = JobStore(settings.state_dir)
    method = method_named(job.method)
    for spec in method.current_chunks(job):
        if first_only and (spec.kind != "series" or spec.start != 0):
            continue
        compute = method.chunk_compute(settings, job, spec)
        run_chunk(store, job.id, spec, compute, worker="test@host", checkpoint_seconds=60)


def finished_job(settings: Settings, method: str, digits: int | None = None) -> JobRecord:
    """A job of ``method`` computed and reduced to its end, every round."""
    store = JobStore(settings.state_dir)
    job = planned_job(settings, method, digits)
    while not job.status.finished:
        run_round(settings, job)
        method_named(method).reduce(settings, store, job.id, lambda: PROCESSES)
        job = store.get(job.id)
    return job
