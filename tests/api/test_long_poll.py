"""GET /tasks/{id}?wait=: answered when the job ends, or when the wait is over."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.job_watcher import JobWatcher
from config import Settings
from pipeline.verify import reference_digits
from storage import JobRecord, JobStore
from tests.api.finishing import finish
from tests.conftest import JobFactory


def finish_once_waited_on(client: TestClient, store: JobStore, job: JobRecord) -> threading.Thread:
    """Finish the job as soon as a request waits on it (the test controls when it ends)."""
    watcher: JobWatcher = client.app.state.watcher  # type: ignore[attr-defined]

    def run() -> None:
        while watcher.watched == 0:
            time.sleep(0.005)
        finish(store, job)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_waiting_request_is_answered_when_the_job_ends(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    job = new_job()
    finisher = finish_once_waited_on(client, JobStore(settings.state_dir), job)
    started = time.monotonic()
    body = client.get(f"/tasks/{job.id}", params={"wait": 60}).json()
    finisher.join()
    assert body["status"] == "SUCCESS" and body["result"] == reference_digits(job.digits)
    # Answered by the ending, not by the end of the wait.
    assert time.monotonic() - started < 60


def test_the_wait_ends_with_the_job_as_it_is(client: TestClient, new_job: JobFactory) -> None:
    job = new_job()
    started = time.monotonic()
    body = client.get(f"/tasks/{job.id}", params={"wait": 0.3}).json()
    assert time.monotonic() - started >= 0.3
    assert body["status"] == "WAITING" and body["result"]["percent"] == 0.0


def test_a_finished_job_is_answered_at_once(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    job = new_job()
    finish(JobStore(settings.state_dir), job)
    watcher: JobWatcher = client.app.state.watcher  # type: ignore[attr-defined]
    body = client.get(f"/tasks/{job.id}", params={"wait": 60}).json()
    assert body["status"] == "SUCCESS" and watcher.watched == 0


@pytest.mark.parametrize("wait", ["0", "-1", "61", "soon"])
def test_a_wait_out_of_range_is_refused(client: TestClient, new_job: JobFactory, wait: str) -> None:
    response = client.get(f"/tasks/{new_job().id}", params={"wait": wait})
    assert response.status_code == 422 and "wait" in response.text


def test_waiting_on_an_unknown_job_is_404(client: TestClient) -> None:
    response = client.get("/tasks/0f0e0d0c-0b0a-4908-8706-050403020100", params={"wait": 5})
    assert response.status_code == 404
