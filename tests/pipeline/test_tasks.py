"""A task's error while its pool process is being terminated is an exit, not a failure."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from billiard import common as billiard_common

from config import Settings
from pipeline.celery_app import create_celery_app
from pipeline.jobs import submit
from pipeline.tasks import JobTask
from storage import JobStatus, JobStore


@pytest.fixture
def terminating() -> Iterator[None]:
    """As after billiard's SIGTERM handler ran in this (pool) process."""
    billiard_common._should_have_exited[0] = True
    try:
        yield
    finally:
        billiard_common.clear_terminate_handler_fired()  # type: ignore[attr-defined]


def serializing(task: JobTask, job_id: str) -> None:
    # What pydantic raised when SystemExit hit a serializer callback.
    raise ValueError("Error serializing to JSON: SystemExit: -241")


def failing_task(state_dir: Path) -> tuple[JobTask, str]:
    app = create_celery_app(Settings(state_dir=state_dir))
    job = submit(app, JobStore(state_dir), "leibniz", 3)
    task = app.task(name="test.failing", bind=True, base=JobTask)(serializing)
    return task, job.id  # type: ignore[return-value]


def test_an_error_while_terminating_exits_and_leaves_the_job_waiting(
    state_dir: Path, terminating: None
) -> None:
    task, job_id = failing_task(state_dir)
    with pytest.raises(SystemExit, match=r"terminated while running test\.failing"):
        task.apply(args=(job_id,))
    assert JobStore(state_dir).get(job_id).status is JobStatus.WAITING


def test_an_error_otherwise_fails_the_job(state_dir: Path) -> None:
    task, job_id = failing_task(state_dir)
    assert isinstance(task.apply(args=(job_id,)).result, ValueError)
    job = JobStore(state_dir).get(job_id)
    assert job.status is JobStatus.FAILURE and "test.failing failed" in str(job.error)
