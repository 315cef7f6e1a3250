"""Compute one chunk of the plain Leibniz series with the float kernel."""

from pipeline.chunk_runner import Checkpoints
from pipeline.methods.leibniz.kernel import PartialSum, SumAccumulator, blocks, pairs_sum
from storage import ChunkRecord


def compute_chunk(record: ChunkRecord, checkpoints: Checkpoints) -> ChunkRecord:
    """Sum of (-1)^k/(2k+1) over the chunk's terms with its float error bound, resumed from
    the last checkpoint."""
    resumed = PartialSum(record.partial, record.error_bound) if record.terms_done else None
    acc = SumAccumulator(resumed)
    for a, b in blocks(record.start + record.terms_done, record.stop):
        acc.add(pairs_sum(a // 2, b // 2))
        if checkpoints.due() and b < record.stop:
            total = acc.total()
            record = checkpoints.save(
                record.model_copy(
                    update={
                        "terms_done": b - record.start,
                        "partial": total.value,
                        "error_bound": total.error_bound,
                    }
                )
            )
    total = acc.total()
    return checkpoints.finish(
        record.model_copy(update={"partial": total.value, "error_bound": total.error_bound})
    )
