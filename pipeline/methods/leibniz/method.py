"""The seed's method: partial sums of the Leibniz series alone, certified by the bracket
S_N < pi < S_{N+1} (up to 11 digits: about 10^digits terms)."""

from collections.abc import Callable
from typing import ClassVar

from config import Settings
from pipeline.chunk_runner import ChunkCompute
from pipeline.methods.base import ComputeMethod, MethodView
from pipeline.methods.leibniz import view as own_view
from pipeline.methods.leibniz.models import LeibnizCertificate
from pipeline.methods.leibniz.planner import new_job
from pipeline.methods.leibniz.reducer import reduce_job
from pipeline.methods.leibniz.settings import LeibnizSettings
from pipeline.methods.leibniz.speed import record_speed, terms_per_second
from pipeline.rounds import Extension
from storage import ChunkSpec, JobRecord, JobStore


class LeibnizMethod(ComputeMethod):
    name = "leibniz"
    label = "Leibniz series"
    description = "the plain series, up to 11 digits (about 10^digits terms)"
    settings_model = LeibnizSettings
    certificate_model = LeibnizCertificate
    view: ClassVar[MethodView] = own_view

    def over_cap_advice(self) -> str:
        return "plain Leibniz needs about 10^digits terms; use method 'leibniz-euler' for more"

    def terms_per_second(self, settings: Settings) -> float:
        return terms_per_second(settings)

    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        return new_job(self.name, job_id, digits, self.split(settings, lambda: processes))

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        # The runner brings numba, a third of the API's start: only workers run chunks.
        from pipeline.methods.leibniz.runner import compute_chunk

        return compute_chunk

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        # Read once for both: a job of many chunks has as many files.
        records = store.chunks(job_id)
        record_speed(settings, records)
        return reduce_job(store, job_id, self.split(settings, processes), records)

    def warm_up(self) -> None:
        from pipeline.methods.leibniz.kernel import warm_up

        warm_up()


LEIBNIZ = LeibnizMethod()
