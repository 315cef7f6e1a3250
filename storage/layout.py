"""Where the job store, the result backend and the embedded broker keep their files under the
state dir: the only place that names those folders. The process manager's own folders
(supervisor/, logs/, beat/) are named by ``config.supervisord``, as config imports nothing
of ours."""

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class StateLayout:
    # The folders are joined once per layout: the store asks for them on every file it
    # touches, and a pathlib join is slower than the lookup of a cached attribute.
    root: Path

    @cached_property
    def jobs(self) -> Path:
        return self.root / "jobs"

    @cached_property
    def pending(self) -> Path:
        # One empty file per unfinished job: counted for admission, walked by the sweep,
        # so neither has to read every stored job.
        return self.root / "pending"

    @cached_property
    def index(self) -> Path:
        return self.root / "index"

    @cached_property
    def finished(self) -> Path:
        return self.root / "finished"

    @cached_property
    def owners(self) -> Path:
        # Per client: owners/<name>/all/ (every job it owns, by creation) and
        # owners/<name>/pending/ (its unfinished ones), for its list, quota and fair share.
        return self.root / "owners"

    @cached_property
    def idempotency(self) -> Path:
        # Idempotency keys of submissions (storage.idempotency).
        return self.root / "idempotency"

    @cached_property
    def results(self) -> Path:
        return self.root / "results"

    @cached_property
    def broker_queue(self) -> Path:
        # kombu's filesystem transport needs data_folder_in == data_folder_out for
        # producers and consumers in different processes to meet.
        return self.root / "broker" / "queue"

    @cached_property
    def broker_control(self) -> Path:
        return self.root / "broker" / "control"

    @cached_property
    def cache(self) -> Path:
        return self.root / "cache"

    @cached_property
    def locks(self) -> Path:
        return self.root / "locks"

    @cached_property
    def speeds(self) -> Path:
        # Measured chunk speeds by method (storage.speeds), for sizing the next job's chunks.
        return self.root / "speeds"

    @cached_property
    def fleet(self) -> Path:
        # One heartbeat file per running worker: how many processes serve the queue now.
        return self.root / "fleet"

    @cached_property
    def clients(self) -> Path:
        # The API's clients and their token hashes (storage.clients).
        return self.root / "clients"

    @cached_property
    def audit(self) -> Path:
        # One JSON-lines file per UTC day of who did what (storage.audit).
        return self.root / "audit"

    @cached_property
    def webhooks(self) -> Path:
        # Completion webhooks not yet delivered, and those given up (storage.webhooks).
        return self.root / "webhooks"

    def ensure(self) -> "StateLayout":
        for folder in (
            self.jobs,
            self.pending,
            self.index,
            self.finished,
            self.results,
            self.broker_queue,
            self.broker_control,
            self.locks,
            self.fleet,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self
