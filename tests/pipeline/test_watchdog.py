"""The stall sweep on the embedded broker (messages are written; no worker runs)."""

import os
from datetime import timedelta
from pathlib import Path

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.jobs import submit
from pipeline.watchdog import StalledJob, due_for_redispatch, redispatch_stalled
from storage import JobRecord, JobStatus, JobStore
from storage.records import utcnow
from storage.room import MIB, room_of


def age(store: JobStore, job_id: str, seconds: float, *, marker: bool = True) -> None:
    """Make the job look created and dispatched ``seconds`` ago: its record, and unless
    ``marker`` is False its pending marker, which the sweep looks at before the record."""
    earlier = utcnow() - timedelta(seconds=seconds)

    def back(job: JobRecord) -> JobRecord:
        return job.model_copy(update={"dispatched_at": earlier, "pushqtime": earlier})

    store.update(job_id, back)
    if marker:
        pending = store.layout.pending / job_id
        os.utime(pending, (earlier.timestamp(), earlier.timestamp()))


def test_a_stalled_job_is_sent_again_then_failed_at_the_deadline(state_dir: Path) -> None:
    app = create_celery_app(
        Settings(state_dir=state_dir, job_stall_seconds=10, max_dispatches=3, inspect_timeout=0.2)
    )
    store = JobStore(state_dir)
    job = submit(app, store, "leibniz", 3)
    assert redispatch_stalled(app, store) == []  # not stalled yet
    for dispatches in (2, 3):
        age(store, job.id, 60)
        assert redispatch_stalled(app, store) == [job.id]
        assert store.get(job.id).dispatches == dispatches
    age(store, job.id, 60)
    assert redispatch_stalled(app, store) == []
    failed = store.get(job.id)
    assert failed.status is JobStatus.FAILURE
    assert failed.error is not None and "no progress for 10 s after 3 dispatches" in failed.error
    assert store.pending_ids() == [] and store.cancel_requested(job.id)
    app.close()


def test_the_sweep_drops_markers_of_finished_jobs(state_dir: Path) -> None:
    app = create_celery_app(
        Settings(state_dir=state_dir, job_stall_seconds=10, inspect_timeout=0.2)
    )
    store = JobStore(state_dir)
    job = submit(app, store, "leibniz", 2)
    store.update(job.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))
    (state_dir / "pending" / job.id).touch()  # left by a crash
    assert redispatch_stalled(app, store) == []
    assert store.pending_ids() == [job.id]  # too young to be read yet
    an_hour_ago = (utcnow() - timedelta(hours=1)).timestamp()
    os.utime(state_dir / "pending" / job.id, (an_hour_ago, an_hour_ago))
    assert redispatch_stalled(app, store) == []
    assert store.pending_ids() == []
    app.close()


def test_the_sweep_reads_only_jobs_created_before_the_stall_time(state_dir: Path) -> None:
    app = create_celery_app(
        Settings(state_dir=state_dir, job_stall_seconds=10, inspect_timeout=0.2)
    )
    store = JobStore(state_dir)
    old, young = submit(app, store, "leibniz", 3), submit(app, store, "leibniz", 3)
    age(store, old.id, 60)
    # The young job's record says it is idle, but its marker says it was made just now.
    age(store, young.id, 60, marker=False)
    assert redispatch_stalled(app, store) == [old.id]
    assert store.get(young.id).dispatches == 1
    app.close()


def test_a_busy_queue_defers_a_stalled_job_only_for_the_grace(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, job_stall_seconds=10, job_stall_grace_seconds=20)
    store = JobStore(state_dir)
    app = create_celery_app(settings)
    job = submit(app, store, "leibniz", 3)
    app.close()
    recent, overdue = StalledJob(job, 29.0), StalledJob(job, 31.0)
    assert due_for_redispatch([recent], lambda: False, settings) == [job]
    assert due_for_redispatch([recent], lambda: True, settings) == []
    assert due_for_redispatch([recent, overdue], lambda: True, settings) == [job]

    def not_asked() -> bool:
        raise AssertionError("the queue was asked about though every job is overdue")

    assert due_for_redispatch([overdue], not_asked, settings) == [job]


def test_below_the_reserve_the_sweep_waits_and_spends_no_dispatch(state_dir: Path) -> None:
    """A stalled job sent again onto a full disk would spend one of its dispatches on a
    chord that cannot be written; the sweep waits for room instead, but still fails a job
    that has had its last dispatch."""
    settings = Settings(state_dir=state_dir, job_stall_seconds=10, max_dispatches=2)
    app = create_celery_app(settings)
    store = JobStore(state_dir)
    job = submit(app, store, "leibniz", 3)
    free = room_of(state_dir)
    full = create_celery_app(settings.model_copy(update={"min_free_mb": 2 * free.free_bytes / MIB}))
    for _ in range(3):
        age(store, job.id, 60)
        assert redispatch_stalled(full, store) == []
    assert store.get(job.id).dispatches == 1 and store.get(job.id).status is JobStatus.WAITING
    age(store, job.id, 60)
    assert redispatch_stalled(app, store) == [job.id]
    # The deadline holds below the reserve too: a job sent its last time fails.
    age(store, job.id, 60)
    assert redispatch_stalled(full, store) == []
    assert store.get(job.id).status is JobStatus.FAILURE
    full.close()
    app.close()
