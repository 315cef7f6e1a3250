"""Index entries split by creation hour: pages and counts across hours, removal, and the
flat layout of earlier versions moved into buckets by a rebuild."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import JobStatus, JobStore
from storage.hour_buckets import HourBuckets
from tests.conftest import JobFactory

START = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def filled(folder: Path, count: int, every: timedelta) -> list[str]:
    """``count`` entries created ``every`` apart; their ids, newest first."""
    buckets = HourBuckets(folder)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    for n, job_id in enumerate(ids):
        buckets.add(job_id, START + n * every)
    return ids[::-1]


def test_pages_and_counts_run_across_hours(tmp_path: Path) -> None:
    newest_first = filled(tmp_path, 300, timedelta(seconds=70))  # about 6 hours
    buckets = HourBuckets(tmp_path)
    assert len(buckets.buckets()) == 7
    assert buckets.total() == 300
    assert buckets.ids() == newest_first
    for offset, limit in ((0, 50), (40, 60), (290, 50), (300, 10)):
        assert buckets.page(offset, limit) == newest_first[offset : offset + limit]


def test_a_count_follows_entries_added_and_removed(tmp_path: Path) -> None:
    buckets = HourBuckets(tmp_path)
    newest_first = filled(tmp_path, 10, timedelta(minutes=1))
    assert buckets.total() == 10
    buckets.add(str(uuid.uuid4()), START)
    assert buckets.total() == 11
    for n, job_id in enumerate(newest_first[::-1]):
        buckets.remove(job_id, START + n * timedelta(minutes=1))
    assert buckets.total() == 1
    assert buckets.buckets() == ["2026120609"]


def test_a_store_of_the_flat_layout_is_moved_into_buckets_at_start(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    jobs = [new_job(store=False, pushqtime=START + timedelta(hours=n)) for n in range(3)]
    for job in jobs:
        store.create(job)
    store.update(jobs[0].id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))
    # As an earlier version left them: entries straight in the folders.
    for folder in (state_dir / "index", state_dir / "finished" / "SUCCESS"):
        for entry in folder.glob("*/*"):
            entry.rename(folder / entry.name)
            entry.parent.rmdir()
    JobStore(state_dir).refresh_index()
    assert store.newest_first() == [job.id for job in reversed(jobs)]
    assert store.page(JobStatus.SUCCESS, None, 0, 10) == ([jobs[0].id], 1)
    assert not any(p.is_file() for p in (state_dir / "index").iterdir())


def test_jobs_created_before_a_moment_come_from_older_hours_only(tmp_path: Path) -> None:
    oldest_first = filled(tmp_path, 200, timedelta(minutes=1))[::-1]
    buckets = HourBuckets(tmp_path)
    moment = START + timedelta(minutes=95, seconds=30)  # mid-hour: part of a bucket
    assert buckets.created_before(moment) == oldest_first[:96]
    assert buckets.created_before(START) == []
    for n, job_id in enumerate(oldest_first[:96]):
        buckets.remove(job_id, START + n * timedelta(minutes=1))
    buckets.prune()
    assert buckets.buckets()[-1] == "2026120611" and buckets.total() == 104
