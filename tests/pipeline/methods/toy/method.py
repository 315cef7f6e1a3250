"""The toy method: Machin's formula, one chunk per arctangent."""

from collections.abc import Callable
from functools import partial
from typing import ClassVar

from config import Settings
from pipeline.chunk_runner import ChunkCompute
from pipeline.methods.base import ComputeMethod, MethodView
from pipeline.rounds import Extension
from storage import ChunkSpec, JobRecord, JobStore
from tests.pipeline.methods.toy import view as own_view
from tests.pipeline.methods.toy.models import ToyCertificate, ToyChunkPublic, ToyPlanParams
from tests.pipeline.methods.toy.planner import new_job
from tests.pipeline.methods.toy.reducer import reduce_job
from tests.pipeline.methods.toy.runner import compute_arctan
from tests.pipeline.methods.toy.settings import ToySettings


class ToyMethod(ComputeMethod):
    name = "toy-machin"
    label = "Machin (toy)"
    description = "a test's method: Machin's formula, one chunk per arctangent"
    settings_model = ToySettings
    certificate_model = ToyCertificate
    chunk_public_model = ToyChunkPublic
    view: ClassVar[MethodView] = own_view

    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        return new_job(self.name, job_id, digits, ToySettings.current().guard_digits)

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        return partial(compute_arctan, ToyPlanParams.of(job).precision)

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        return reduce_job(store, job_id)


TOY = ToyMethod()
