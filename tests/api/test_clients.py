"""Clients and scopes: who may submit, cancel and read what, and revocation at once."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.main import create_app
from config import Settings
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def book(state_dir: Path) -> ClientBook:
    return ClientBook(StateLayout(state_dir).clients)


def test_once_a_client_exists_writes_need_a_token_with_the_submit_scope(state_dir: Path) -> None:
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        # No client yet: the service is open, as before.
        assert api.post("/tasks", json={"digits": 3}).status_code == 202
        reader = book(state_dir).add("dash", Scope.READ)
        submitter = book(state_dir).add("ci", Scope.SUBMIT)
        assert api.post("/tasks", json={"digits": 3}).status_code == 401
        refused = api.post("/tasks", json={"digits": 3}, headers=bearer(reader))
        assert refused.status_code == 403
        assert "'submit' scope" in refused.json()["detail"] and "'dash'" in refused.json()["detail"]
        assert api.get("/leibnic/3", headers=bearer(submitter)).status_code == 202
        # Reads stay open unless PICHORD_API_TOKEN_READS closes them.
        assert api.get("/tasks").status_code == 200


def test_closed_reads_take_any_client_and_host_details_only_admin(state_dir: Path) -> None:
    reader = book(state_dir).add("dash", Scope.READ)
    admin = book(state_dir).add("ops", Scope.ADMIN)
    with TestClient(create_app(Settings(state_dir=state_dir, api_token_reads=True))) as api:
        assert api.get("/tasks").status_code == 401
        assert api.get("/tasks", headers=bearer(reader)).status_code == 200
        for path in ("/workers", "/metrics", "/cpu/percent"):
            refused = api.get(path, headers=bearer(reader))
            assert refused.status_code == 403 and "'admin' scope" in refused.text, path
            assert api.get(path, headers=bearer(admin)).status_code == 200, path


def test_a_request_notes_when_its_client_was_last_used(state_dir: Path) -> None:
    token = book(state_dir).add("dash", Scope.READ)
    with TestClient(create_app(Settings(state_dir=state_dir, api_token_reads=True))) as api:
        assert book(state_dir).clients()[0].last_used is None
        assert api.get("/tasks", headers=bearer(token)).status_code == 200
        noted = book(state_dir).clients()[0].last_used
        assert noted is not None
        # At most once a minute: the next request leaves the note as it is.
        assert api.get("/tasks", headers=bearer(token)).status_code == 200
        assert book(state_dir).clients()[0].last_used == noted


def test_the_api_token_is_a_client_named_admin(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, api_token="long-secret", api_token_reads=True)
    book(state_dir).add("dash", Scope.READ)
    with TestClient(create_app(settings)) as api:
        assert api.get("/workers", headers=bearer("long-secret")).status_code == 200
        assert (
            api.post("/tasks", json={"digits": 3}, headers=bearer("long-secret")).status_code == 202
        )


def test_a_removed_client_is_refused_by_every_api_on_the_state_dir(state_dir: Path) -> None:
    token = book(state_dir).add("ci", Scope.SUBMIT)
    first, second = (TestClient(create_app(Settings(state_dir=state_dir))) for _ in range(2))
    with first, second:
        for api in (first, second):
            assert api.post("/tasks", json={"digits": 2}, headers=bearer(token)).status_code == 202
        book(state_dir).remove("ci")
        for api in (first, second):
            assert api.post("/tasks", json={"digits": 2}, headers=bearer(token)).status_code == 403
            # The last client gone, the service stays closed.
            assert api.post("/tasks", json={"digits": 2}).status_code == 401


def test_the_command_adds_lists_and_removes_clients(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PICHORD_STATE_DIR", str(state_dir))
    runner = CliRunner()
    added = runner.invoke(cli, ["clients", "add", "ci", "--scope", "submit"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    found = book(state_dir).find(token)
    assert found is not None and found.scope is Scope.SUBMIT
    listed = runner.invoke(cli, ["clients", "list"])
    assert listed.exit_code == 0 and "ci" in listed.stdout and "submit" in listed.stdout
    assert token not in listed.stdout
    again = runner.invoke(cli, ["clients", "add", "ci", "--scope", "read"])
    assert again.exit_code == 1 and "exists" in again.output
    assert runner.invoke(cli, ["clients", "remove", "ci"]).exit_code == 0
    assert book(state_dir).find(token) is None
    missing = runner.invoke(cli, ["clients", "remove", "ci"])
    assert missing.exit_code == 1 and "no client named 'ci'" in missing.output


def test_the_name_the_api_token_acts_as_is_reserved(state_dir: Path) -> None:
    with pytest.raises(ValueError, match="'admin'"):
        book(state_dir).add("admin", Scope.SUBMIT)
