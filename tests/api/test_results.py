"""Big results stay cheap: long digits and long bounds live beside the job record, GET
/tasks/{id} carries them up to INLINE_DIGITS and reads no chunk file once the job ended, the
download serves them in full, listings never carry them."""

import gmpy2
import pytest
from fastapi.testclient import TestClient

from config import Settings
from pipeline.digits import format_units
from pipeline.rounds import CUT_BOUND_DECIMALS
from pipeline.verify import reference_digits
from storage import JobStatus, JobStore
from storage.job_files import RECORD_RESULT_CHARS
from storage.records import INLINE_BOUND_DIGITS, INLINE_DIGITS
from tests.api.finishing import FINAL, finish
from tests.conftest import JobFactory

DIGITS = 20_000


def finished(
    store: JobStore, new_job: JobFactory, digits: int, lower: str = "3.14", upper: str = "3.15"
) -> str:
    job = new_job(method="leibniz-euler", digits=digits)
    finish(store, job, lower, upper)
    return job.id


def test_the_digits_are_stored_beside_the_record(settings: Settings, new_job: JobFactory) -> None:
    store = JobStore(settings.state_dir)
    job_id = finished(store, new_job, DIGITS)
    job = store.get(job_id)
    assert job.status is JobStatus.SUCCESS and job.verified is True
    assert job.result is None and job.result_length == DIGITS + 2
    assert store.digits(store.get(job_id)) == reference_digits(DIGITS)
    record = store.layout.jobs / job_id / "job.json"
    assert record.stat().st_size < 2_000


def test_short_digits_are_stored_in_the_record(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    store = JobStore(settings.state_dir)
    longest = RECORD_RESULT_CHARS - 2  # "3." and the decimals
    for digits in (1, longest):
        job_id = finished(store, new_job, digits)
        job = store.get(job_id)
        assert job.result == reference_digits(digits) and job.result_length is None
        assert not store.result_path(job_id).exists()
        assert client.get(f"/tasks/{job_id}").json()["result"] == reference_digits(digits)
        assert client.get(f"/tasks/{job_id}/digits").text == reference_digits(digits) + "\n"
    job = store.get(finished(store, new_job, longest + 1))
    assert job.result is None and job.result_length == RECORD_RESULT_CHARS + 1


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


def test_a_finished_job_is_read_from_its_record_alone(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    # The job's two chunk files were never written: what is shown comes from the record.
    job_id = finished(JobStore(settings.state_dir), new_job, 3)
    progress = client.get(f"/tasks/{job_id}").json()["progress"]
    assert progress == {
        "percent": 100.0,
        "terms_done": FINAL.terms_done,
        "terms_total": FINAL.terms_total,
        "chunks_done": FINAL.chunks_done,
        "chunks_total": FINAL.chunks_total,
    }


def test_digits_past_the_inline_limit_are_only_downloaded(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    inline = finished(JobStore(settings.state_dir), new_job, INLINE_DIGITS)
    assert client.get(f"/tasks/{inline}").json()["result"] == reference_digits(INLINE_DIGITS)
    digits = INLINE_DIGITS + 1
    job_id = finished(JobStore(settings.state_dir), new_job, digits)
    body = client.get(f"/tasks/{job_id}").json()
    assert body["status"] == "SUCCESS" and "result" not in body
    assert body["digits_url"] == f"/tasks/{job_id}/digits"
    download = client.get(body["digits_url"])
    assert download.text == reference_digits(digits) + "\n"
    head = client.get(body["digits_url"], headers={"Range": "bytes=0-5"})
    assert head.status_code == 206 and head.text == "3.1415"
    tail = client.get(body["digits_url"], headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.text == reference_digits(digits)[-3:] + "\n"


def bracket(digits: int) -> tuple[str, str]:
    """pi's bracket to digits + 3 decimals, as a certificate has it."""
    lower = reference_digits(digits + 3)
    return lower, format_units(int(gmpy2.mpz(lower.replace(".", ""))) + 1, digits + 3)


@pytest.mark.parametrize("digits", [INLINE_BOUND_DIGITS + 1, INLINE_DIGITS + 1])
def test_long_bounds_are_cut_outward_in_the_record_and_served_in_full(
    client: TestClient, settings: Settings, new_job: JobFactory, digits: int
) -> None:
    lower, upper = bracket(digits)
    store = JobStore(settings.state_dir)
    job_id = finished(store, new_job, digits, lower=lower, upper=upper)
    assert store.record_path(job_id).stat().st_size < 4_000
    task = client.get(f"/tasks/{job_id}").json()
    # The digits stay inline up to INLINE_DIGITS; the bounds only up to INLINE_BOUND_DIGITS.
    assert ("result" in task) is (digits <= INLINE_DIGITS)
    certificate = task["certificate"]
    assert certificate["bounds_cut"] == CUT_BOUND_DECIMALS
    decimals = 2 + CUT_BOUND_DECIMALS
    assert certificate["lower"] == lower[:decimals]
    assert certificate["upper"] > upper[:decimals] and len(certificate["upper"]) == decimals
    assert client.get(f"/tasks/{job_id}/digits?of=lower").text == lower + "\n"
    assert client.get(f"/tasks/{job_id}/digits?of=upper").text == upper + "\n"


def test_bounds_up_to_the_inline_limit_are_kept_whole(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    lower, upper = bracket(INLINE_BOUND_DIGITS)
    job_id = finished(JobStore(settings.state_dir), new_job, INLINE_BOUND_DIGITS, lower, upper)
    certificate = client.get(f"/tasks/{job_id}").json()["certificate"]
    assert (certificate["lower"], certificate["upper"]) == (lower, upper)
    assert "bounds_cut" not in certificate


def test_short_bounds_are_kept_in_the_record_and_downloadable(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    job_id = finished(JobStore(settings.state_dir), new_job, 3)
    certificate = client.get(f"/tasks/{job_id}").json()["certificate"]
    assert (certificate["lower"], certificate["upper"]) == ("3.14", "3.15")
    assert "bounds_cut" not in certificate
    assert client.get(f"/tasks/{job_id}/digits?of=upper").text == "3.15\n"
    assert client.get(f"/tasks/{job_id}/digits?of=middle").status_code == 422


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


def test_stored_digits_removed_from_outside_are_named_missing(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    store = JobStore(settings.state_dir)
    job_id = finished(store, new_job, INLINE_DIGITS + 1)
    store.result_path(job_id).unlink()
    for part, what in (("", "digits are"), ("?of=lower", "certificate's lower bound is")):
        if part:
            (store.layout.jobs / job_id / "bounds.txt").unlink(missing_ok=True)
        answer = client.get(f"/tasks/{job_id}/digits{part}")
        assert answer.status_code == 409
        assert f"is SUCCESS but its stored {what} missing" in answer.json()["detail"]
