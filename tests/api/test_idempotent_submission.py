"""Idempotency-Key on POST /tasks and GET /leibnic/{n}: the same key and request give the
first job (200, Idempotent-Replayed), another request under the key gets 422."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_a_repeated_submission_returns_the_first_job(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        first = api.post("/tasks", json={"digits": 4}, headers=key("order-17"))
        again = api.post("/tasks", json={"digits": 4, "method": "leibniz"}, headers=key("order-17"))
        seed = api.get("/leibnic/4", headers=key("order-17"))
        assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
        for replay in (again, seed):
            assert replay.status_code == 200, replay.text
            assert replay.headers["Idempotent-Replayed"] == "true"
            assert replay.json() == first.json()
            assert replay.headers["Location"] == first.headers["Location"]
        assert api.get("/tasks").json()["total"] == 1
        # Without a key, or with another one, a new job.
        assert api.get("/leibnic/4").status_code == 202
        assert api.get("/leibnic/4", headers=key("order-18")).status_code == 202
        assert api.get("/tasks").json()["total"] == 3


def test_a_key_sent_with_another_request_is_refused_naming_it(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        assert api.post("/tasks", json={"digits": 4}, headers=key("order-17")).status_code == 202
        refused = api.post("/tasks", json={"digits": 5}, headers=key("order-17"))
        assert refused.status_code == 422
        assert "'order-17'" in refused.json()["detail"]
        assert api.get("/tasks").json()["total"] == 1


@pytest.mark.parametrize("bad", [b"x" * 129, b"tab\there", "é-key".encode()])
def test_a_malformed_key_is_refused_before_anything_is_stored(state_dir: Path, bad: bytes) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        refused = api.post(
            "/tasks",
            json={"digits": 4},
            headers={"Idempotency-Key": bad},
        )
        assert refused.status_code == 422 and "Idempotency-Key" in refused.json()["detail"]
        assert api.get("/tasks").json()["total"] == 0


def test_keys_are_per_client_and_survive_a_restart(state_dir: Path) -> None:
    book = ClientBook(StateLayout(state_dir).clients)
    ci = {"Authorization": f"Bearer {book.add('ci', Scope.SUBMIT)}"}
    dash = {"Authorization": f"Bearer {book.add('dash', Scope.SUBMIT)}"}
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        first = api.post("/tasks", json={"digits": 4}, headers={**ci, **key("k")}).json()["id"]
        other = api.post("/tasks", json={"digits": 4}, headers={**dash, **key("k")})
        assert other.status_code == 202 and other.json()["id"] != first
    with TestClient(create_app(Settings(state_dir=state_dir))) as restarted:
        replay = restarted.post("/tasks", json={"digits": 4}, headers={**ci, **key("k")})
        assert replay.status_code == 200 and replay.json()["id"] == first


def test_a_refused_submission_does_not_take_its_key(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, max_pending_jobs=1)
    with TestClient(create_app(settings)) as api:
        blocker = api.post("/tasks", json={"digits": 3}).json()["id"]
        assert api.post("/tasks", json={"digits": 4}, headers=key("k")).status_code == 429
        api.delete(f"/tasks/{blocker}")
        retried = api.post("/tasks", json={"digits": 4}, headers=key("k"))
        assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers
