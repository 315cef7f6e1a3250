"""The REST contract, in process, on the embedded broker with no worker running."""

import shutil
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from pipeline.methods.leibniz.models import LeibnizChunk
from storage import ChunkRecord, JobStatus, JobStore
from storage.layout import StateLayout
from tests.conftest import MethodEnv


def submit(client: TestClient, digits: int = 3) -> str:
    response = client.get(f"/leibnic/{digits}")
    assert response.status_code == 202
    job_id: str = response.json()["id"]
    assert uuid.UUID(job_id).version == 4
    assert response.headers["location"] == f"/tasks/{job_id}"
    return job_id


def test_seed_submission_then_waiting_task(client: TestClient) -> None:
    job_id = submit(client, 3)
    body = client.get(f"/tasks/{job_id}").json()
    assert body["status"] == "WAITING"
    assert body["method"] == "leibniz" and body["digits"] == 3
    assert body["result"] == {"percent": 0.0, "intermediate": None}
    assert body["progress"]["terms_total"] >= 2454
    assert body["pushqtime"].endswith("Z") and body["starttime"] is None
    assert "certificate" not in body and "error" not in body


def test_post_tasks_returns_location(client: TestClient) -> None:
    response = client.post("/tasks", json={"digits": 5, "method": "leibniz"})
    assert response.status_code == 202
    assert response.headers["location"] == f"/tasks/{response.json()['id']}"


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/leibnic/-1", "greater than or equal"),
        ("/leibnic/abc", "integer"),
        ("/leibnic/3.5", "integer"),
        ("/leibnic/12", "between 0 and 11"),
    ],
)
def test_bad_digits_in_the_path_are_422(client: TestClient, path: str, fragment: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert fragment in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"digits": "3"},
        {"digits": 3.0},
        {"digits": -2},
        {"digits": 99},
        {"digits": 3, "method": "monte-carlo"},
        {"digits": 3, "extra": 1},
        {},
    ],
)
def test_bad_bodies_are_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/tasks", json=body).status_code == 422


def test_cap_message_points_at_the_accelerated_method(client: TestClient) -> None:
    detail = client.post("/tasks", json={"digits": 12}).json()["detail"]
    assert "between 0 and 11" in detail and "leibniz-euler" in detail


def test_cap_follows_the_setting(state_dir: Path, method_env: MethodEnv) -> None:
    method_env(PICHORD_LEIBNIZ_MAX_DIGITS="4")
    with TestClient(create_app(Settings(state_dir=state_dir))) as client:
        assert client.get("/leibnic/5").status_code == 422
        assert client.get("/leibnic/4").status_code == 202


@pytest.mark.parametrize("task_id", ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "x" * 500])
def test_non_uuid_ids_are_rejected_without_touching_disk(
    client: TestClient, state_dir: Path, task_id: str
) -> None:
    before = sorted(state_dir.rglob("*"))
    assert client.get(f"/tasks/{task_id}").status_code in (404, 422)
    assert client.delete(f"/tasks/{task_id}").status_code in (404, 422)
    assert sorted(state_dir.rglob("*")) == before


def test_unknown_id_is_404(client: TestClient) -> None:
    missing = uuid.uuid4()
    assert client.get(f"/tasks/{missing}").status_code == 404
    assert client.get(f"/tasks/{missing}/chunks").status_code == 404
    assert client.delete(f"/tasks/{missing}").status_code == 404


def test_cancel_is_idempotent_and_finished_jobs_conflict(
    client: TestClient, settings: Settings
) -> None:
    job_id = submit(client)
    first = client.delete(f"/tasks/{job_id}")
    assert first.status_code == 200 and first.json()["status"] == "REVOKED"
    assert first.json()["stoptime"] is not None
    again = client.delete(f"/tasks/{job_id}")
    assert again.status_code == 200 and again.json()["stoptime"] == first.json()["stoptime"]

    done = submit(client)
    JobStore(settings.state_dir).update(
        done, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS})
    )
    conflict = client.delete(f"/tasks/{done}")
    assert conflict.status_code == 409 and "SUCCESS" in conflict.text


def test_list_is_newest_first_with_filter_and_pages(client: TestClient) -> None:
    ids = [submit(client, d) for d in (0, 1, 2)]
    client.delete(f"/tasks/{ids[0]}")
    listing = client.get("/tasks").json()
    assert [t["id"] for t in listing["tasks"]] == ids[::-1]
    assert listing["total"] == 3 and listing["limit"] == 50 and listing["offset"] == 0
    revoked = client.get("/tasks", params={"status": "REVOKED"}).json()
    assert [t["id"] for t in revoked["tasks"]] == [ids[0]] and revoked["total"] == 1
    waiting = client.get("/tasks", params={"status": "WAITING"}).json()
    assert [t["id"] for t in waiting["tasks"]] == ids[:0:-1]
    assert client.get("/tasks", params={"status": "SUCCESS"}).json()["total"] == 0
    page = client.get("/tasks", params={"limit": 1, "offset": 1}).json()
    assert [t["id"] for t in page["tasks"]] == [ids[1]]
    assert client.get("/tasks", params={"limit": 501}).status_code == 422
    assert client.get("/tasks", params={"status": "DONE"}).status_code == 422


def test_corrupt_record_is_a_failed_task_not_a_500(client: TestClient, state_dir: Path) -> None:
    good, bad = submit(client), submit(client)
    (state_dir / "jobs" / bad / "job.json").write_text("{garbage")
    body = client.get(f"/tasks/{bad}").json()
    assert body["status"] == "FAILURE" and "unreadable" in body["error"]
    listing = client.get("/tasks").json()
    assert {t["id"] for t in listing["tasks"]} == {good, bad}


def test_progress_and_intermediate_from_chunk_files(client: TestClient, settings: Settings) -> None:
    job_id = submit(client, 2)
    store = JobStore(settings.state_dir)
    job = store.get(job_id)
    spec = job.chunks[0]
    # 100 terms done: the intermediate is S_100 = 3.13159..., cut to 2 decimals.
    store.save_chunk(
        job_id,
        ChunkRecord(
            index=0,
            start=spec.start,
            stop=spec.stop,
            terms_done=100,
            details=LeibnizChunk(partial=0.7828982258896384).dumped(),
            worker="w@h",
        ),
    )
    body = client.get(f"/tasks/{job_id}").json()
    assert body["status"] == "PROGRESS"
    assert body["result"]["intermediate"] == "3.13"
    assert body["progress"]["terms_done"] == 100
    assert 0 < body["result"]["percent"] == body["progress"]["percent"] < 100
    chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    assert chunks[0]["worker"] == "w@h" and chunks[0]["status"] == "PROGRESS"


def test_openapi_page_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/leibnic/{digits}", "/tasks", "/tasks/{task_id}", "/tasks/{task_id}/chunks"} <= set(
        paths
    )


def test_unreachable_broker_is_503_and_no_job_is_stored(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, broker_url="amqp://guest:guest@127.0.0.1:1//")
    with TestClient(create_app(settings)) as client:
        response = client.get("/leibnic/3")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        detail = response.json()["detail"]
        assert "the broker at amqp://guest:**@127.0.0.1:1// did not accept a connection" in detail
        assert "no job was stored" in detail and "PICHORD_BROKER_URL" in detail
        # Refused at once until the cooldown ends, saying why; bad input is still told apart.
        again = client.post("/tasks", json={"digits": 3})
        assert again.status_code == 503 and 1 <= int(again.headers["retry-after"]) <= 2
        assert "failed a submission" in again.json()["detail"]
        assert "Connection refused" in again.json()["detail"]
        assert client.post("/tasks", json={"digits": 99}).status_code == 422
        assert client.get("/tasks").json()["total"] == 0


def test_job_the_broker_does_not_take_is_failure_and_cancelled(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as client:
        # The embedded broker's queue folder made a file: connecting works, sending does not.
        queue = StateLayout(state_dir).broker_queue
        shutil.rmtree(queue)
        queue.write_text("not a folder")
        response = client.post("/tasks", json={"digits": 3})
        assert response.status_code == 503 and response.headers["retry-after"] == "2"
        detail = response.json()["detail"]
        assert "the broker at filesystem://localhost/ did not take job" in detail
        assert "marked FAILURE" in detail and str(queue) in detail
        [task] = client.get("/tasks").json()["tasks"]
        assert task["status"] == "FAILURE" and "broker" in task["error"]
        # A message the broker took after all is dropped by the worker that receives it.
        assert JobStore(state_dir).cancel_requested(task["id"])
