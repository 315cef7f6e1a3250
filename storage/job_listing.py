"""The job store's listings: ids of jobs by status, owner and age, answered from the
index's markers (``storage.job_index``) without reading a single record."""

from datetime import datetime

from storage.job_index import JobIndex
from storage.status import JobStatus


class JobListing:
    """Part of ``JobStore``: what its index answers alone."""

    index: JobIndex

    def pending_ids(self, owner: str | None = None) -> list[str]:
        """Ids of the jobs marked unfinished, all or the client ``owner``'s (a stale marker
        may outlive a crash)."""
        return self.index.pending_ids(owner)

    def pending_created_before(self, moment: datetime) -> list[str]:
        """Ids of unfinished jobs created before ``moment`` (a stat of each marker, no record
        read); a marker restored by ``rebuild_index`` counts from its restoration."""
        return self.index.pending_marked_before(moment)

    def pending_count(self, owner: str | None = None) -> int:
        """How many jobs are marked unfinished, all or the client ``owner``'s."""
        return self.index.pending_count(owner)

    def newest_first(self, status: JobStatus | None = None, owner: str | None = None) -> list[str]:
        """Ids of stored jobs (or of those that finished with ``status``, or that ``owner``
        owns), newest first, without reading them."""
        return self.index.newest_first(status, owner)

    def created_before(self, moment: datetime) -> list[str]:
        """Ids of the jobs created before ``moment``, from the index (no record is read)."""
        return self.index.created_before(moment)

    def prune_index(self) -> None:
        """Drop the index's empty hour folders (after removing jobs)."""
        self.index.prune()

    def page(
        self, status: JobStatus | None, owner: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        """One page of ``newest_first`` and the number of ids in all, without listing every
        job of a big store."""
        return self.index.page(status, owner, offset, limit)
