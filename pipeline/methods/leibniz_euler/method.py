"""Thousands of digits: the Leibniz series to M terms in exact fixed point, plus its
Euler-number tail correction with a proven remainder bound."""

from collections.abc import Callable
from functools import partial
from typing import ClassVar

from config import Settings
from pipeline.chunk_runner import ChunkCompute
from pipeline.methods.base import ComputeMethod, MethodView
from pipeline.methods.leibniz_euler import view as own_view
from pipeline.methods.leibniz_euler.models import EulerCertificate, EulerChunkPublic
from pipeline.methods.leibniz_euler.planner import new_job, stored_plan
from pipeline.methods.leibniz_euler.reducer import reduce_euler_job
from pipeline.methods.leibniz_euler.runner import compute_correction, compute_series
from pipeline.methods.leibniz_euler.settings import EulerSettings
from pipeline.rounds import Extension, current_round
from storage import ChunkSpec, JobRecord, JobStore
from storage.records import ChunkKind


class LeibnizEulerMethod(ComputeMethod):
    name = "leibniz-euler"
    label = "Leibniz + Euler tail"
    description = "the series with its exact Euler-number tail, thousands of digits"
    settings_model = EulerSettings
    certificate_model = EulerCertificate
    chunk_public_model = EulerChunkPublic
    view: ClassVar[MethodView] = own_view
    # A job lasts seconds, so its chunks are cut finer: with a few chunks per process the
    # last ones even out the load instead of leaving a process idle at the end.
    chunks_per_process = 4

    def terms_per_second(self, settings: Settings) -> float:
        return EulerSettings.current().terms_per_second

    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        guard = EulerSettings.current().guard_digits
        return new_job(self.name, job_id, digits, guard, self.split(settings, lambda: processes))

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        chosen = stored_plan(job)
        if spec.kind is ChunkKind.CORRECTION:
            return partial(compute_correction, chosen, settings.state_dir)
        return partial(compute_series, chosen)

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        return reduce_euler_job(store, job_id, self.split(settings, processes))

    def current_chunks(self, job: JobRecord) -> list[ChunkSpec]:
        return current_round(job)


LEIBNIZ_EULER = LeibnizEulerMethod()
