"""The leibniz-euler side of the REST contract, in process, with no worker running."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from pipeline.chunk_runner import run_chunk
from pipeline.methods.leibniz_euler.method import LEIBNIZ_EULER
from pipeline.methods.leibniz_euler.planner import stored_plan
from pipeline.verify import reference_digits
from storage import JobStore
from storage.records import ChunkKind
from tests.conftest import MethodEnv


@pytest.fixture
def client(settings: Settings, method_env: MethodEnv) -> Iterator[TestClient]:
    method_env(PICHORD_EULER_MAX_DIGITS="3000")
    with TestClient(create_app(settings)) as c:
        yield c


def submit(client: TestClient, digits: int) -> str:
    response = client.post("/tasks", json={"method": "leibniz-euler", "digits": digits})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def test_submission_plans_a_correction_chunk_and_series_chunks(client: TestClient) -> None:
    job_id = submit(client, 2000)
    body = client.get(f"/tasks/{job_id}").json()
    assert body["method"] == "leibniz-euler" and body["status"] == "WAITING"
    assert body["progress"]["terms_total"] == 40_000
    assert body["result"] == {"percent": 0.0, "intermediate": None}
    chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    assert chunks[0]["kind"] == "correction" and chunks[0]["start"] == 0
    assert {c["kind"] for c in chunks[1:]} == {"series"}
    assert body["progress"]["chunks_total"] == len(chunks)


def test_above_the_cap_is_422_naming_the_cap_and_setting(client: TestClient) -> None:
    response = client.post("/tasks", json={"method": "leibniz-euler", "digits": 3001})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "3000" in detail and "PICHORD_EULER_MAX_DIGITS" in detail and "3001" in detail


def test_unknown_method_is_422(client: TestClient) -> None:
    response = client.post("/tasks", json={"method": "machin", "digits": 5})
    assert response.status_code == 422
    assert "leibniz-euler" in response.text


def test_digits_download_before_success_is_409_and_unknown_is_404(client: TestClient) -> None:
    job_id = submit(client, 10)
    response = client.get(f"/tasks/{job_id}/digits")
    assert response.status_code == 409 and "WAITING" in response.json()["detail"]
    missing = client.get("/tasks/00000000-0000-4000-8000-000000000000/digits")
    assert missing.status_code == 404


def test_progress_and_intermediate_from_a_computed_prefix(
    client: TestClient, settings: Settings
) -> None:
    job_id = submit(client, 2000)
    store = JobStore(settings.state_dir)
    job = store.get(job_id)
    plan = stored_plan(job)
    first = next(s for s in job.chunks if s.kind is ChunkKind.SERIES and s.start == 0)
    compute = LEIBNIZ_EULER.chunk_compute(settings, job, first)
    run_chunk(store, job_id, first, compute, worker="w@h", checkpoint_seconds=60)
    body = client.get(f"/tasks/{job_id}").json()
    assert body["status"] == "PROGRESS"
    share = 90 * first.terms / plan.terms
    assert body["progress"]["percent"] == pytest.approx(share, abs=0.01)
    prefix = body["result"]["intermediate"]
    # The first chunk alone with a short tail correction certifies a prefix of pi.
    assert len(prefix) > 50 and reference_digits(2000).startswith(prefix)
