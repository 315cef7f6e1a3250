"""Retention: finished jobs past PICHORD_RETENTION_DAYS go, with their Celery results, and
so do the audit log's days."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.jobs import plan_job, submit, submit_planned
from pipeline.retention import remove_expired
from storage import JobStatus, JobStore
from storage.audit import AuditAction, AuditEntry, AuditLog
from storage.idempotency import IdempotencyKeys
from storage.layout import StateLayout
from storage.records import utcnow


def test_only_finished_jobs_past_retention_are_removed(state_dir: Path) -> None:
    app = create_celery_app(Settings(state_dir=state_dir, retention_days=1))
    store = JobStore(state_dir)
    long_ago = utcnow() - timedelta(days=2)
    planned = plan_job(app.settings, "leibniz", 2).model_copy(update={"pushqtime": long_ago})
    old = submit_planned(app, store, planned)
    recent, running, broken = (submit(app, store, "leibniz", 2) for _ in range(3))
    store.update(
        old.id,
        lambda j: j.model_copy(
            update={"status": JobStatus.SUCCESS, "stoptime": long_ago + timedelta(seconds=5)}
        ),
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


def test_audit_days_that_ended_before_retention_are_removed(state_dir: Path) -> None:
    app = create_celery_app(Settings(state_dir=state_dir, retention_days=1))
    log = AuditLog(StateLayout(state_dir).audit)
    now = datetime(2025, 3, 10, 12, tzinfo=UTC)
    for hours_ago in (72, 48, 25, 1):
        log.write(
            AuditEntry(
                time=now - timedelta(hours=hours_ago), action=AuditAction.CANCEL, result="ok"
            )
        )

    remove_expired(app, JobStore(state_dir), now=now)
    # The cutoff is 9 March, 12:00: that day's file stays whole, its 11:00 line included.
    assert log.days() == [date(2025, 3, 9), date(2025, 3, 10)]
    assert len(log.entries(date(2025, 3, 9))) == 1
    app.close()


def test_idempotency_keys_past_their_hours_are_forgotten(state_dir: Path) -> None:
    app = create_celery_app(Settings(state_dir=state_dir, idempotency_hours=2))
    keys = IdempotencyKeys(StateLayout(state_dir).idempotency, timedelta(hours=2))
    now = utcnow()
    for name, age in (("old", 3), ("young", 1)):
        with keys.use(
            None, name, "leibniz, 5 digits", name, lambda _: True, now - timedelta(hours=age)
        ):
            pass
    remove_expired(app, JobStore(state_dir), now)
    # The young key still answers with its job; the old one is free for a new request.
    with keys.use(None, "young", "leibniz, 5 digits", "new", lambda _: True, now) as young:
        assert young.replayed and young.job_id == "young"
    with keys.use(None, "old", "leibniz, 6 digits", "new", lambda _: True, now) as old:
        assert not old.replayed
    assert len(list((StateLayout(state_dir).idempotency / "keys").iterdir())) == 2
