"""Big results stay cheap: the digits live beside the job record, GET /tasks/{id} and the
download serve them, listings never carry them."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from pipeline.rounds import record_success
from pipeline.verify import reference_digits
from storage import JobStatus, JobStore
from storage.records import Certificate
from tests.conftest import JobFactory

DIGITS = 20_000


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def finished(store: JobStore, new_job: JobFactory, digits: int) -> str:
    job = new_job(method="leibniz-euler", digits=digits)
    certificate = Certificate(terms=job.terms_total, lower="3.14", upper="3.15", rounds=1)
    record_success(store, job, reference_digits(digits), certificate)
    return job.id


def test_the_digits_are_stored_beside_the_record(settings: Settings, new_job: JobFactory) -> None:
    store = JobStore(settings.state_dir)
    job_id = finished(store, new_job, DIGITS)
    job = store.get(job_id)
    assert job.status is JobStatus.SUCCESS and job.verified is True
    assert job.result is None and job.result_length == DIGITS + 2
    assert store.result(job_id) == reference_digits(DIGITS)
    record = store.layout.jobs / job_id / "job.json"
    assert record.stat().st_size < 2_000


def test_the_task_and_the_download_serve_them_and_listings_do_not(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    job_id = finished(JobStore(settings.state_dir), new_job, DIGITS)
    body = client.get(f"/tasks/{job_id}").json()
    assert body["status"] == "SUCCESS" and body["result"] == reference_digits(DIGITS)
    download = client.get(f"/tasks/{job_id}/digits")
    assert download.text == reference_digits(DIGITS) + "\n"
    listed = client.get("/tasks").json()["tasks"]
    assert [t["id"] for t in listed] == [job_id]
    assert "result" not in listed[0] and listed[0]["progress"]["percent"] == 100.0


def test_records_that_hold_their_digits_are_still_served(
    client: TestClient, new_job: JobFactory
) -> None:
    # Written before the digits moved to a file of their own.
    job = new_job(status=JobStatus.SUCCESS, result="3.141")
    assert client.get(f"/tasks/{job.id}").json()["result"] == "3.141"
    assert client.get(f"/tasks/{job.id}/digits").text == "3.141\n"


def test_a_chunk_value_round_trips(settings: Settings, new_job: JobFactory) -> None:
    store = JobStore(settings.state_dir)
    job = new_job()
    assert store.chunk_value(job.id, 0) is None
    store.save_chunk_value(job.id, 0, b"\x00\x01" * 1000)
    assert store.chunk_value(job.id, 0) == b"\x00\x01" * 1000
    assert store.chunk_value(job.id, 1) is None
