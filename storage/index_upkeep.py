"""The job store's markers restored from its records, after a crash between a record and
its markers (``storage.job_index``): at API start, and when a sweep reads a job."""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime

from storage.admission import Admission
from storage.job_errors import CorruptRecordError, JobNotFoundError
from storage.job_index import JobIndex
from storage.layout import StateLayout
from storage.records import JobRecord
from storage.staging import remove_abandoned
from storage.status import JobStatus


class IndexUpkeep(ABC):
    """Part of ``JobStore``: keeping its index true to its records."""

    layout: StateLayout
    index: JobIndex
    admission: Admission

    @abstractmethod
    def ids(self) -> list[str]: ...

    @abstractmethod
    def get(self, job_id: str) -> JobRecord: ...

    @abstractmethod
    def exists(self, job_id: str) -> bool: ...

    @abstractmethod
    def records(self) -> Iterator[tuple[str, JobRecord | CorruptRecordError]]: ...

    @abstractmethod
    def created_at(self, job_id: str) -> float: ...

    @abstractmethod
    def pending_ids(self, owner: str | None = None) -> list[str]: ...

    def rebuild_index(self) -> None:
        """Restore the markers from the records (at API start: a crash between a job's
        record and its markers must not leave it unlisted, uncounted or never swept)."""

        def facts() -> Iterator[tuple[str, datetime, JobStatus, str | None]]:
            for job_id, job in self.records():
                if isinstance(job, CorruptRecordError):
                    # Shown as a failed job; its folder's time stands in for its creation.
                    created = datetime.fromtimestamp(self.created_at(job_id), UTC)
                    yield job_id, created, JobStatus.FAILURE, None
                else:
                    yield job_id, job.pushqtime, job.status, job.owner

        self.index.rebuild(facts(), self.exists)
        self.admission.forget()

    def refresh_index(self) -> None:
        """At API start: restore the markers after a crash without reading every record.
        When the marker names add up with the job folders, only the pending jobs' records
        are read (a crash between a record and its markers leaves one of them pending);
        otherwise, or when asked, ``rebuild_index`` reads every record. Creations a crash
        cut short before their folder was moved into place are removed."""
        remove_abandoned(self.layout.jobs)
        # Whatever happened while no API ran (a power cut after an admission, an older
        # version's submissions), the first admission counts.
        self.admission.forget()
        if not self.index.adds_up(set(self.ids())):
            self.rebuild_index()
            return
        for job_id in self.pending_ids():
            try:
                job: JobRecord | None = self.get(job_id)
            except JobNotFoundError:
                job = None
            except CorruptRecordError:
                # Listed as a failed job from now on: the full rebuild knows how.
                self.rebuild_index()
                return
            self.settle_markers(job_id, job)

    def settle_markers(self, job_id: str, job: JobRecord | None) -> None:
        """Fix the markers of a job whose record (as just read; None: vanished or unreadable)
        finished while its pending marker stayed, after a crash between the two writes."""
        if job is None:
            self.index.drop_pending(job_id)
        elif job.status.finished:
            self.index.finished(job_id, job.pushqtime, job.status, job.owner)
