"""The seed's method: partial sums of the Leibniz series alone, certified by the bracket
S_N < pi < S_{N+1} (up to 11 digits: about 10^digits terms)."""

from collections.abc import Callable

from config import Settings
from pipeline.chunk_planner import ChunkPlanner
from pipeline.chunk_runner import ChunkCompute
from pipeline.job_view import BracketPoint, ProgressCounts
from pipeline.methods.base import ComputeMethod
from pipeline.methods.leibniz import view
from pipeline.methods.leibniz.kernel import warm_up
from pipeline.methods.leibniz.models import LeibnizCertificate
from pipeline.methods.leibniz.plan import terms_needed
from pipeline.methods.leibniz.reducer import reduce_job
from pipeline.methods.leibniz.runner import compute_chunk
from pipeline.methods.leibniz.settings import LeibnizSettings
from pipeline.methods.leibniz.speed import SPEED_NAME, book, measured, terms_per_second
from pipeline.rounds import Extension
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore


def planner(settings: Settings, processes: int) -> ChunkPlanner:
    return ChunkPlanner(
        chunk_terms=max(2, int(terms_per_second(settings) * settings.chunk_seconds)),
        parallelism=processes,
        max_chunks=settings.max_chunks,
    )


class LeibnizMethod(ComputeMethod):
    name = "leibniz"
    label = "Leibniz series"
    description = "the plain series, up to 11 digits (about 10^digits terms)"
    settings_model = LeibnizSettings
    certificate_model = LeibnizCertificate

    def over_cap_advice(self) -> str:
        return "plain Leibniz needs about 10^digits terms; use method 'leibniz-euler' for more"

    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        terms = terms_needed(digits)
        ranges = planner(settings, processes).split(0, terms)
        return JobRecord(
            id=job_id,
            method=self.name,
            digits=digits,
            terms_total=terms,
            chunks=[ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(ranges)],
        )

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        return compute_chunk

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        chunks = store.chunks(job_id)
        speed = measured(chunks)
        if speed is not None:
            book(settings).record(SPEED_NAME, speed)
        return reduce_job(
            store, job_id, lambda start, stop: planner(settings, processes()).split(start, stop)
        )

    def progress(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
        return view.progress(job, chunks)

    def intermediate(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
        return view.intermediate(job, chunks)

    def convergence(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
        return view.convergence(job, chunks)

    def warm_up(self) -> None:
        warm_up()


LEIBNIZ = LeibnizMethod()
