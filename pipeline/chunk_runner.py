"""Compute one chunk of the plain Leibniz series with the float kernel."""

from dataclasses import dataclass
from typing import Any

from pipeline.leibniz import PartialSum, SumAccumulator, blocks, pairs_sum
from pipeline.parts import Checkpoints, run_part
from storage import ChunkRecord, ChunkSpec, JobStore


@dataclass(frozen=True)
class ChunkResult:
    index: int
    start: int
    stop: int
    value: float
    error_bound: float

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": self.start,
            "stop": self.stop,
            "value": self.value,
            "error_bound": self.error_bound,
        }

    @classmethod
    def from_record(cls, record: ChunkRecord) -> "ChunkResult":
        return cls(record.index, record.start, record.stop, record.partial, record.error_bound)


def run_chunk(
    store: JobStore,
    job_id: str,
    spec: ChunkSpec,
    *,
    worker: str,
    checkpoint_seconds: float,
    task_id: str | None = None,
) -> ChunkResult:
    record = run_part(
        store,
        job_id,
        spec,
        _compute,
        worker=worker,
        checkpoint_seconds=checkpoint_seconds,
        task_id=task_id,
    )
    return ChunkResult.from_record(record)


def _compute(record: ChunkRecord, checkpoints: Checkpoints) -> ChunkRecord:
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
