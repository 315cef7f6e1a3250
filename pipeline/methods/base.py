"""What a way of computing pi provides: the seam between one method and the shared pipeline.

The shared machinery (canvas, lanes, tasks, rounds, watchdog, API) asks a method for its
plan, the task and runner of each chunk, its reducer and what a client sees of a running
job; it never branches on which method it serves.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, Protocol

from config import Settings
from pipeline.chunk_planner import ChunkPlanner
from pipeline.chunk_runner import ChunkCompute
from pipeline.job_view import BracketPoint, ProgressCounts
from pipeline.methods.method_data import CertificateDetails, ChunkDetails, NoChunkDetails
from pipeline.methods.method_settings import MethodSettings
from pipeline.rounds import Extension, SplitFn
from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore


class MethodView(Protocol):
    """What a client sees of a running job: a method's ``view.py`` module."""

    def progress(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts: ...

    def intermediate(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
        """A running job's value so far: digits a client can show, or None."""

    def convergence(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
        """pi's bracket after each computed prefix, for the dashboard's plot."""


class ComputeMethod(ABC):
    """One method: a name clients ask for, its cap, and every step that differs by method."""

    #: The name clients send (`"method": ...`) and jobs store.
    name: str
    #: A short human label for the dashboard and the command line.
    label: str
    #: One sentence for the API docs.
    description: str
    #: Its settings: the cap (``max_digits``) and its own tuning, under its own prefix.
    settings_model: ClassVar[type[MethodSettings]]
    #: What the convergence points' ``terms`` count: series "terms", or the tail's "depth".
    convergence_axis: str = "terms"
    #: The method's own figures in a certificate, and the chunk details the API shows: the
    #: API lists both models' fields in its schema (each method keeps more of its own data,
    #: pipeline/methods/method_data.py).
    certificate_model: ClassVar[type[CertificateDetails]]
    chunk_public_model: ClassVar[type[ChunkDetails]] = NoChunkDetails
    #: Its view.py: progress, intermediate value and convergence of a running job.
    view: ClassVar[MethodView]
    #: Series chunks cut per worker process by ``split``: more than one evens out the load
    #: at the end of a job that lasts only seconds.
    chunks_per_process: ClassVar[int] = 1

    def settings(self) -> MethodSettings:
        return self.settings_model.current()

    def max_digits(self) -> int:
        """The most digits a client may ask this method for."""
        return self.settings().max_digits

    @property
    def cap_setting(self) -> str:
        """The environment variable that sets ``max_digits``."""
        return self.settings_model.variable("max_digits")

    def over_cap_advice(self) -> str:
        return f"set {self.cap_setting} to allow more"

    @abstractmethod
    def plan(self, settings: Settings, job_id: str, digits: int, processes: int) -> JobRecord:
        """A new job's record with its first round of chunks (digits already in range), cut
        for ``processes`` computing at once: the worker processes online."""

    @abstractmethod
    def chunk_compute(self, settings: Settings, job: JobRecord, spec: ChunkSpec) -> ChunkCompute:
        """What computes ``spec`` from its (possibly resumed) progress record."""

    @abstractmethod
    def reduce(
        self, settings: Settings, store: JobStore, job_id: str, processes: Callable[[], int]
    ) -> Extension | None:
        """Certify the job from its finished chunks, or record and return the next round, cut
        for ``processes()`` as ``plan`` is. Counting lanes asks the broker, so it is called only
        when a next round is cut. Raises ``IncompleteJobError`` when a chunk of the current
        round has not finished."""

    def current_chunks(self, job: JobRecord) -> list[ChunkSpec]:
        """The chunks whose results the next reduction reads."""
        return job.chunks

    def progress(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> ProgressCounts:
        return self.view.progress(job, chunks)

    def intermediate(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> str | None:
        return self.view.intermediate(job, chunks)

    def convergence(self, job: JobRecord, chunks: dict[int, ChunkRecord]) -> list[BracketPoint]:
        return self.view.convergence(job, chunks)

    def terms_per_second(self, settings: Settings) -> float:
        """How fast one process sums this method's series, for ``split`` to cut chunks of
        about PICHORD_CHUNK_SECONDS; a method that cuts its series so must say."""
        raise NotImplementedError(f"method {self.name!r} does not cut its series by speed")

    def series_planner(self, settings: Settings, processes: int) -> ChunkPlanner:
        return ChunkPlanner(
            chunk_terms=max(2, int(self.terms_per_second(settings) * settings.chunk_seconds)),
            parallelism=processes * self.chunks_per_process,
            max_chunks=settings.max_chunks,
        )

    def split(self, settings: Settings, processes: Callable[[], int]) -> SplitFn:
        """Cuts series ranges for ``processes()`` computing at once, counted only when a
        range is cut (counting asks the broker)."""
        return lambda start, stop: self.series_planner(settings, processes()).split(start, stop)

    def warm_up(self) -> None:  # noqa: B027 - most methods have nothing to prepare
        """Prepare a worker process before its first chunk (compile, load tables)."""
