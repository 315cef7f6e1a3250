"""Retention: finished jobs past PICHORD_RETENTION_DAYS go, with their Celery results."""

from datetime import timedelta
from pathlib import Path

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.jobs import submit
from pipeline.retention import remove_expired
from storage import JobStatus, JobStore
from storage.layout import StateLayout
from storage.records import utcnow


def test_only_finished_jobs_past_retention_are_removed(state_dir: Path) -> None:
    app = create_celery_app(Settings(state_dir=state_dir, retention_days=1))
    store = JobStore(state_dir)
    old, recent, running, broken = (submit(app, store, "leibniz", 2) for _ in range(4))
    long_ago = utcnow() - timedelta(days=2)
    store.update(
        old.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS, "stoptime": long_ago})
    )
    store.update(
        recent.id,
        lambda j: j.model_copy(update={"status": JobStatus.SUCCESS, "stoptime": utcnow()}),
    )
    (state_dir / "jobs" / broken.id / "job.json").write_text("{garbage")
    # The old job's results in the file backend, as a finished chord leaves them.
    app.backend.store_result(f"{old.id}.d1.c0", {"index": 0}, "SUCCESS")
    results = StateLayout(state_dir).results
    assert any(old.id in p.name for p in results.rglob("*"))

    assert remove_expired(app, store) == [old.id]
    assert not store.exists(old.id) and old.id not in store.newest_first()
    assert not any(old.id in p.name for p in results.rglob("*"))
    assert {recent.id, running.id, broken.id} <= set(store.newest_first())

    # A day later the broken record, two days old by its folder, goes too.
    later = utcnow() + timedelta(days=2)
    assert set(remove_expired(app, store, now=later)) == {recent.id, broken.id}
    assert store.newest_first() == [running.id]
    app.close()
