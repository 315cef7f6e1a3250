"""Compute one arctangent of a toy job."""

from pipeline.chunk_runner import Checkpoints
from storage import ChunkRecord
from tests.pipeline.methods.toy.models import ToyChunk
from tests.pipeline.methods.toy.plan import TERMS, arctan_units


def compute_arctan(precision: int, record: ChunkRecord, checkpoints: Checkpoints) -> ChunkRecord:
    coefficient, x = TERMS[record.start]
    value, error = arctan_units(x, precision)
    details = ToyChunk(arctan_of=x, value=format(coefficient * value, "x"), error=error)
    return checkpoints.finish(details.saved_in(record))
