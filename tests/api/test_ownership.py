"""Jobs belong to the client that submitted them: shown, filtered by, cancelled only by it or
an admin; each client has its own quota of unfinished jobs and its own submission rate."""

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from config import Settings
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add(state_dir: Path, name: str, scope: Scope) -> dict[str, str]:
    return bearer(ClientBook(StateLayout(state_dir).clients).add(name, scope))


def submit(api: TestClient, headers: dict[str, str], digits: int = 3) -> str:
    response = api.post("/tasks", json={"digits": digits}, headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_a_job_shows_its_owner_and_the_list_filters_by_it(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        anonymous = submit(api, {})
        ci, dash = add(state_dir, "ci", Scope.SUBMIT), add(state_dir, "dash", Scope.SUBMIT)
        mine = [submit(api, ci), submit(api, ci)]
        theirs = submit(api, dash)
        assert api.get(f"/tasks/{anonymous}").json()["owner"] is None
        assert api.get(f"/tasks/{theirs}").json()["owner"] == "dash"
        listed = api.get("/tasks", params={"owner": "ci"}).json()
        assert [t["id"] for t in listed["tasks"]] == mine[::-1] and listed["total"] == 2
        assert {t["owner"] for t in listed["tasks"]} == {"ci"}
        waiting = api.get("/tasks", params={"owner": "dash", "status": "WAITING"}).json()
        assert [t["id"] for t in waiting["tasks"]] == [theirs]
        assert api.get("/tasks", params={"owner": "nobody"}).json()["total"] == 0
        refused = api.get("/tasks", params={"owner": "../x"})
        assert refused.status_code == 422 and "owner" in refused.text


def test_only_the_owner_or_an_admin_cancels_a_job(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        before_clients = submit(api, {})
        ci, dash = add(state_dir, "ci", Scope.SUBMIT), add(state_dir, "dash", Scope.SUBMIT)
        admin = add(state_dir, "ops", Scope.ADMIN)
        job = submit(api, ci)
        refused = api.delete(f"/tasks/{job}", headers=dash)
        assert refused.status_code == 403
        assert "client 'ci'" in refused.json()["detail"] and "'dash'" in refused.json()["detail"]
        assert api.get(f"/tasks/{job}").json()["status"] == "WAITING"
        assert api.delete(f"/tasks/{job}", headers=ci).json()["status"] == "REVOKED"
        assert api.delete(f"/tasks/{before_clients}", headers=ci).status_code == 403
        assert api.delete(f"/tasks/{before_clients}", headers=admin).json()["status"] == "REVOKED"


def test_a_client_over_its_quota_gets_429_naming_its_count(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, max_pending_jobs_per_client=2)
    with TestClient(create_app(settings)) as api:
        ci, dash = add(state_dir, "ci", Scope.SUBMIT), add(state_dir, "dash", Scope.SUBMIT)
        first = submit(api, ci)
        submit(api, ci)
        refused = api.post("/tasks", json={"digits": 3}, headers=ci)
        assert refused.status_code == 429 and refused.headers["Retry-After"]
        detail = refused.json()["detail"]
        assert "'ci' has 2 unfinished jobs" in detail and "limit is 2" in detail
        assert "PICHORD_MAX_PENDING_JOBS_PER_CLIENT" in detail
        submit(api, dash)  # another client's quota is its own
        api.delete(f"/tasks/{first}", headers=ci)
        submit(api, ci)


def test_the_rate_limit_counts_per_client_once_authenticated(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, submit_rate_limit="2/minute")
    with TestClient(create_app(settings)) as api:
        ci, dash = add(state_dir, "ci", Scope.SUBMIT), add(state_dir, "dash", Scope.SUBMIT)
        submit(api, ci)
        submit(api, ci)
        refused = api.post("/tasks", json={"digits": 3}, headers=ci)
        assert refused.status_code == 429 and "client 'ci'" in refused.json()["detail"]
        # Same address, another client: its own count.
        submit(api, dash)
        submit(api, dash)
