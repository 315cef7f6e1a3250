"""Hostile and careless clients: tokens, rate limits, backpressure, oversized bodies."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def service(state_dir: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(state_dir=state_dir, **settings)))


@pytest.fixture
def guarded(state_dir: Path) -> Iterator[TestClient]:
    with service(state_dir, api_token=TOKEN) as client:
        yield client


def test_writes_need_the_token_and_reads_stay_open(guarded: TestClient) -> None:
    missing = guarded.post("/tasks", json={"digits": 3})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    wrong = guarded.post("/tasks", json={"digits": 3}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and TOKEN not in wrong.text
    basic = guarded.get("/leibnic/3", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    job_id = guarded.post("/tasks", json={"digits": 3}, headers=AUTH).json()["id"]
    assert guarded.get("/leibnic/3", headers=AUTH).status_code == 202
    assert guarded.get(f"/tasks/{job_id}").status_code == 200
    assert guarded.get("/tasks").status_code == 200
    assert guarded.delete(f"/tasks/{job_id}").status_code == 401
    assert guarded.delete(f"/tasks/{job_id}", headers=AUTH).json()["status"] == "REVOKED"


def test_reads_need_the_token_when_configured(state_dir: Path) -> None:
    with service(state_dir, api_token=TOKEN, api_token_reads=True) as client:
        for path in ("/tasks", "/cpu/percent", "/workers", "/metrics", "/"):
            assert client.get(path).status_code == 401, path
        assert client.get("/tasks", headers=AUTH).status_code == 200
        # Probes stay open.
        assert client.get("/health").status_code == 200


def test_submissions_over_the_client_rate_get_429_with_retry_after(state_dir: Path) -> None:
    with service(state_dir, submit_rate_limit="3/minute") as client:
        for _ in range(3):
            assert client.post("/tasks", json={"digits": 2}).status_code == 202
        refused = client.post("/tasks", json={"digits": 2})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "3 per 1 minute" in refused.json()["detail"]
        assert client.get("/leibnic/2").status_code == 429
        # Reading is not rate limited.
        assert client.get("/tasks").status_code == 200


def test_too_many_unfinished_jobs_get_429_until_one_ends(state_dir: Path) -> None:
    with service(state_dir, max_pending_jobs=2) as client:
        first = client.post("/tasks", json={"digits": 3}).json()["id"]
        assert client.post("/tasks", json={"digits": 3}).status_code == 202
        full = client.post("/tasks", json={"digits": 3})
        assert full.status_code == 429 and full.headers["retry-after"] == "5"
        assert "PICHORD_MAX_PENDING_JOBS" in full.json()["detail"]
        assert client.get("/tasks").json()["total"] == 2  # nothing half-created
        client.delete(f"/tasks/{first}")
        assert client.post("/tasks", json={"digits": 3}).status_code == 202


def test_oversized_bodies_are_413_declared_or_streamed(state_dir: Path) -> None:
    with service(state_dir, max_body_bytes=256) as client:
        declared = client.post("/tasks", content=b"{" + b" " * 1000 + b"}")
        assert declared.status_code == 413
        assert "PICHORD_MAX_BODY_BYTES" in declared.json()["detail"]

        def pieces() -> Iterator[bytes]:
            for _ in range(100):
                yield b" " * 64

        streamed = client.post(
            "/tasks", content=pieces(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        assert client.post("/tasks", json={"digits": 1}).status_code == 202
        assert client.get("/tasks").json()["total"] == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"digits": "3"}',
        b'{"digits": 3.0}',
        b'{"digits": true}',
        b'{"digits": 3, "extra": 1}',
        b'{"digits": 3, "method": "machin"}',
        b'{"digits": 99999999999999999999999999}',
    ],
)
def test_malformed_bodies_are_4xx_with_a_message(state_dir: Path, body: bytes) -> None:
    with service(state_dir) as client:
        response = client.post("/tasks", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.json()["detail"]
        assert client.get("/tasks").json()["total"] == 0
