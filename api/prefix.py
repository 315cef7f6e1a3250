"""The longest computed prefix of a job's series: what the intermediate value and the
convergence plot are drawn from while the job runs."""

from pipeline.euler_plan import current_parts
from pipeline.methods import Method
from storage import ChunkRecord, JobRecord
from storage.records import PartKind


def series_prefix(job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[ChunkRecord]:
    """Records of the series chunks from term 0 on, in order: every finished one, then the
    first unfinished one if it has checkpointed; they cover terms [0, N') without a gap."""
    specs = current_parts(job) if job.method == Method.LEIBNIZ_EULER else job.chunks
    found = []
    for spec in sorted((s for s in specs if s.kind is PartKind.SERIES), key=lambda s: s.start):
        record = chunks.get(spec.index)
        if record is None or record.terms_done == 0:
            break
        found.append(record)
        if not record.finished:
            break
    return found
