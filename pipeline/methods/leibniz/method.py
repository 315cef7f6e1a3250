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
from pipeline.methods.leibniz.reducer import reduce_job
from pipeline.methods.leibniz.runner import compute_chunk
from pipeline.methods.leibniz.terms import terms_needed
from pipeline.rounds import Extension
from pipeline.task_names import CHUNK_TASK
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore


def planner(settings: Settings, lanes: int) -> ChunkPlanner:
    return ChunkPlanner(
        chunk_terms=max(2, int(settings.kernel_terms_per_second * settings.chunk_seconds)),
        parallelism=lanes,
        max_chunks=settings.max_chunks,
    )


class LeibnizMethod(ComputeMethod):
    name = "leibniz"
    label = "Leibniz series"
    description = "the plain series, up to 11 digits (about 10^digits terms)"
    cap_setting = "PICHORD_LEIBNIZ_MAX_DIGITS"
    task_names = (CHUNK_TASK,)

    def max_digits(self, settings: Settings) -> int:
        return settings.leibniz_max_digits

    def over_cap_advice(self) -> str:
        return "plain Leibniz needs about 10^digits terms; use method 'leibniz-euler' for more"

    def plan(self, settings: Settings, job_id: str, digits: int, lanes: int) -> JobRecord:
        terms = terms_needed(digits)
        ranges = planner(settings, lanes).split(0, terms)
        return JobRecord(
            id=job_id,
            method=self.name,
            digits=digits,
            terms_total=terms,
            chunks=[ChunkSpec(index=i, start=a, stop=b) for i, (a, b) in enumerate(ranges)],
        )

    def chunk_message(self, job_id: str, spec: ChunkSpec) -> tuple[str, tuple[object, ...]]:
        # The range rides along for workers that predate reading it from the job record.
        return CHUNK_TASK, (job_id, spec.index, spec.start, spec.stop)

    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        return compute_chunk

    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, lanes: Callable[[], int]
    ) -> Extension | None:
        return reduce_job(
            store, job_id, lambda start, stop: planner(settings, lanes()).split(start, stop)
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
