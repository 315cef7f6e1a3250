"""Thousands of digits: the Leibniz series to M terms in exact fixed point, plus its
Euler-number tail correction with a proven remainder bound."""

from collections.abc import Callable
from functools import partial

from config import Settings
from pipeline.chunk_planner import ChunkPlanner
from pipeline.chunk_runner import ChunkCompute
from pipeline.job_view import BracketPoint, ProgressCounts
from pipeline.methods.base import ComputeMethod
from pipeline.methods.leibniz_euler import view
from pipeline.methods.leibniz_euler.models import EulerCertificate, EulerChunkPublic
from pipeline.methods.leibniz_euler.planner import (
    new_plan,
    round_chunks,
    stored_plan,
)
from pipeline.methods.leibniz_euler.reducer import reduce_euler_job
from pipeline.methods.leibniz_euler.runner import compute_correction, compute_series
from pipeline.methods.leibniz_euler.settings import EulerSettings
from pipeline.rounds import Extension, current_round
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore
from storage.records import ChunkKind

# A leibniz-euler job lasts seconds, so its chunks are cut finer: with a few chunks per
# process the last ones even out the load instead of leaving a process idle at the end.
CHUNKS_PER_PROCESS = 4


def planner(settings: Settings, processes: int) -> ChunkPlanner:
    return ChunkPlanner(
        chunk_terms=max(2, int(EulerSettings.current().terms_per_second * settings.chunk_seconds)),
        parallelism=processes * CHUNKS_PER_PROCESS,
        max_chunks=settings.max_chunks,
    )


class LeibnizEulerMethod(ComputeMethod):
    name = "leibniz-euler"
    label = "Leibniz + Euler tail"
    description = "the series with its exact Euler-number tail, thousands of digits"
    settings_model = EulerSettings
    certificate_model = EulerCertificate
    chunk_public_model = EulerChunkPublic

    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        chosen, params = new_plan(digits, EulerSettings.current().guard_digits)
        return JobRecord(
            id=job_id,
            method=self.name,
            digits=digits,
            terms_total=chosen.terms,
            chunks=round_chunks(
                chosen, planner(settings, processes).split, round_=1, first_index=0
            ),
            plan=params.dumped(),
        )

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        chosen = stored_plan(job)
        if spec.kind is ChunkKind.CORRECTION:
            return partial(compute_correction, chosen, settings.state_dir)
        return partial(compute_series, chosen)

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        return reduce_euler_job(
            store, job_id, lambda start, stop: planner(settings, processes()).split(start, stop)
        )

    def current_chunks(self, job: JobRecord) -> list[ChunkSpec]:
        return current_round(job)

    def progress(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
        return view.progress(job, chunks)

    def intermediate(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
        return view.intermediate(job, chunks)

    def convergence(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
        return view.convergence(job, chunks)


LEIBNIZ_EULER = LeibnizEulerMethod()
