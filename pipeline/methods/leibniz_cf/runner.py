"""Compute the chunks of a leibniz-cf job: exact series ranges, products of the tail's
matrices over depth ranges, and mpmath's own digits for the check. The first two checkpoint
their exact value beside the progress record, so a chunk resumed after a crash goes on from
there and its percent never falls back."""

import itertools

from pipeline.chunk_runner import Checkpoints
from pipeline.methods.leibniz_cf.encoding import (
    decode_integer,
    decode_matrices,
    decode_progress,
    encode_integer,
    encode_matrices,
    encode_progress,
)
from pipeline.methods.leibniz_cf.fraction import Matrix, combine, range_product
from pipeline.methods.leibniz_cf.models import CfChunk
from pipeline.methods.leibniz_cf.plan import CfPlan
from pipeline.methods.leibniz_cf.series import series_sum
from pipeline.verify import reference_digits
from storage import ChunkRecord, JobStore

# Checkpoints a chunk can make: its range is cut into this many slices. A series slice ends on
# the series grid (so the sum is the same however it is sliced); the depth slices' products are
# kept apart and multiplied as a balanced tree at the end, which costs no more than one product.
SERIES_SLICES = 8
DEPTH_SLICES = 4


def _slices(start: int, stop: int, count: int, step: int) -> list[tuple[int, int]]:
    """Up to ``count`` ranges tiling [start, stop), inner ends on multiples of ``step``."""
    bounds = [start]
    for i in range(1, count):
        cut = (start + (stop - start) * i // count) // step * step
        if bounds[-1] < cut < stop:
            bounds.append(cut)
    bounds.append(stop)
    return list(itertools.pairwise(bounds))


def compute_series(
    chosen: CfPlan, store: JobStore, job_id: str, record: ChunkRecord, checkpoints: Checkpoints
) -> ChunkRecord:
    """W * the series over the chunk's terms, floored once per grid piece (error = pieces)."""
    value, error, done = 0, 0, 0
    if (stored := store.chunk_value(job_id, record.index)) is not None:
        done, error, payload = decode_progress(stored)
        value = decode_integer(payload)
    for a, b in _slices(record.start + done, record.stop, SERIES_SLICES, 2 * chosen.series_block):
        piece = series_sum(chosen.scale, a, b, chosen.series_block)
        value, error, done = value + piece.value, error + piece.error, b - record.start
        store.save_chunk_value(
            job_id, record.index, encode_progress(done, error, encode_integer(value))
        )
        record = _progress(record, done, checkpoints)
    return checkpoints.finish(CfChunk(exact_error=error).saved_in(record))


def compute_depth(
    chosen: CfPlan, store: JobStore, job_id: str, record: ChunkRecord, checkpoints: Checkpoints
) -> ChunkRecord:
    """The ordered product of the tail's matrices for depths [start, stop)."""
    products: list[Matrix] = []
    done = 0
    if (stored := store.chunk_value(job_id, record.index)) is not None:
        done, _, payload = decode_progress(stored)
        products = decode_matrices(payload)
    for a, b in _slices(record.start + done, record.stop, DEPTH_SLICES, 1):
        products.append(range_product(chosen.terms, a, b))
        done = b - record.start
        if record.start + done == record.stop:
            # One matrix for the whole chunk, multiplied here in parallel with the other
            # chunks rather than in the reducer, which runs alone.
            products = [combine(products)]
        store.save_chunk_value(
            job_id, record.index, encode_progress(done, 0, encode_matrices(products))
        )
        record = _progress(record, done, checkpoints)
    return checkpoints.finish(record)


def compute_reference(
    digits: int, store: JobStore, job_id: str, record: ChunkRecord, checkpoints: Checkpoints
) -> ChunkRecord:
    """mpmath's pi to the job's digits, computed beside the other chunks: the reducer's
    check of the certified digits is then a comparison instead of a second computation."""
    text = reference_digits(digits)
    store.save_chunk_value(job_id, record.index, encode_progress(1, 0, text.encode("ascii")))
    return checkpoints.finish(record)


def _progress(record: ChunkRecord, done: int, checkpoints: Checkpoints) -> ChunkRecord:
    """Show the progress (the value is already saved) and stop here if the job was cancelled."""
    if record.start + done >= record.stop:
        return record
    return checkpoints.save(record.model_copy(update={"terms_done": done}))
