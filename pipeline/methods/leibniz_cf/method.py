"""A million certified digits from the Leibniz series: S_M plus its tail T_M from the tail's
continued fraction, bracketed by two consecutive convergents."""

from collections.abc import Callable
from functools import partial
from typing import ClassVar

from config import Settings
from pipeline.chunk_runner import ChunkCompute
from pipeline.methods.base import ComputeMethod, MethodView
from pipeline.methods.leibniz_cf import view as own_view
from pipeline.methods.leibniz_cf.models import CfCertificate
from pipeline.methods.leibniz_cf.planner import (
    new_job,
    stored_plan,
)
from pipeline.methods.leibniz_cf.reducer import reduce_cf_job
from pipeline.methods.leibniz_cf.runner import compute_depth, compute_reference, compute_series
from pipeline.methods.leibniz_cf.settings import CfSettings
from pipeline.rounds import Extension, current_round
from storage import ChunkSpec, JobRecord, JobStore
from storage.records import ChunkKind


class LeibnizCfMethod(ComputeMethod):
    name = "leibniz-cf"
    label = "Leibniz + continued-fraction tail"
    description = "the series with its tail's continued fraction, up to a million digits"
    settings_model = CfSettings
    certificate_model = CfCertificate
    convergence_axis = "depth"
    view: ClassVar[MethodView] = own_view

    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        return new_job(self.name, job_id, digits, processes)

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        store = JobStore(settings.state_dir)
        if spec.kind is ChunkKind.REFERENCE:
            return partial(compute_reference, job.digits, store, job.id)
        compute = compute_depth if spec.kind is ChunkKind.CORRECTION else compute_series
        return partial(compute, stored_plan(job), store, job.id)

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        return reduce_cf_job(store, job_id, processes)

    def current_chunks(self, job: JobRecord) -> list[ChunkSpec]:
        return current_round(job)


LEIBNIZ_CF = LeibnizCfMethod()
