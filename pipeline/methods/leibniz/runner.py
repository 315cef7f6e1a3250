"""Compute one chunk of the plain Leibniz series with the float kernel."""

from pipeline.chunk_runner import Checkpoints
from pipeline.methods.leibniz.kernel import PartialSum, SumAccumulator, blocks, pairs_sum
from pipeline.methods.leibniz.models import LeibnizChunk
from storage import ChunkRecord


def compute_chunk(record: ChunkRecord, checkpoints: Checkpoints) -> ChunkRecord:
    """Sum of (-1)^k/(2k+1) over the chunk's terms with its float error bound, resumed from
    the last checkpoint."""
    stored = LeibnizChunk.of(record)
    resumed = PartialSum(stored.partial, stored.error_bound) if record.terms_done else None
    acc = SumAccumulator(resumed)
    for a, b in blocks(record.start + record.terms_done, record.stop):
        acc.add(pairs_sum(a // 2, b // 2))
        if checkpoints.due() and b < record.stop:
            total = acc.total()
            record = checkpoints.save(_with_sum(record, total, terms_done=b - record.start))
    return checkpoints.finish(_with_sum(record, acc.total()))


def _with_sum(record: ChunkRecord, total: PartialSum, **changes: int) -> ChunkRecord:
    details = LeibnizChunk(partial=total.value, error_bound=total.error_bound)
    return details.saved_in(record, **changes)
