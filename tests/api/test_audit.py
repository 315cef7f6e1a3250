"""The audit log as the API and `pichord clients` write it: refusals and client changes,
with who, from where and what came of it, and never a token."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.main import create_app
from config import Settings, get_settings
from storage.audit import AuditAction, AuditEntry, AuditLog
from storage.clients import ClientBook, Scope
from storage.layout import StateLayout

# What TestClient reports as the peer's address.
TEST_CLIENT_HOST = "testclient"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def book(state_dir: Path) -> ClientBook:
    return ClientBook(StateLayout(state_dir).clients)


def audit(state_dir: Path, action: AuditAction) -> list[AuditEntry]:
    log = AuditLog(StateLayout(state_dir).audit)
    return [e for day in log.days() for e in log.entries(day) if e.action is action]


def audit_bytes(state_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in StateLayout(state_dir).audit.glob("*"))


def test_a_wrong_token_is_noted_as_a_403_without_the_token(state_dir: Path) -> None:
    book(state_dir).add("ci", Scope.SUBMIT)
    wrong = "pc_wrong-token-that-must-never-be-stored"
    with TestClient(create_app(Settings(state_dir=state_dir))) as api:
        refused = api.post("/tasks", json={"digits": 3}, headers=bearer(wrong))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "the bearer token is not accepted here"
    [line] = audit(state_dir, AuditAction.AUTH_FAILURE)
    assert (line.result, line.remote, line.client, line.scope) == (
        "403",
        TEST_CLIENT_HOST,
        None,
        None,
    )
    assert wrong.encode() not in audit_bytes(state_dir)
    assert b"wrong-token" not in audit_bytes(state_dir)


def test_a_missing_token_is_noted_as_a_401(state_dir: Path) -> None:
    book(state_dir).add("dash", Scope.READ)
    settings = Settings(state_dir=state_dir, api_token_reads=True)
    with TestClient(create_app(settings)) as api:
        assert api.get("/tasks").status_code == 401
    [line] = audit(state_dir, AuditAction.AUTH_FAILURE)
    assert (line.result, line.remote, line.client) == ("401", TEST_CLIENT_HOST, None)


def test_a_scope_too_small_names_the_client_and_its_scope(state_dir: Path) -> None:
    reader = book(state_dir).add("dash", Scope.READ)
    settings = Settings(state_dir=state_dir, api_token_reads=True)
    with TestClient(create_app(settings)) as api:
        assert api.get("/tasks", headers=bearer(reader)).status_code == 200
        assert audit(state_dir, AuditAction.AUTH_FAILURE) == []  # an accepted read: no line
        assert api.get("/workers", headers=bearer(reader)).status_code == 403
    [line] = audit(state_dir, AuditAction.AUTH_FAILURE)
    assert (line.result, line.client, line.scope, line.remote) == (
        "403",
        "dash",
        "read",
        TEST_CLIENT_HOST,
    )
    assert reader.encode() not in audit_bytes(state_dir)


def test_an_audit_log_that_cannot_be_written_fails_no_request(
    state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    book(state_dir).add("ci", Scope.SUBMIT)
    # A file where the folder should be: every write fails, as on a read-only disk.
    StateLayout(state_dir).audit.write_text("in the way")
    app = create_app(Settings(state_dir=state_dir))
    with TestClient(app) as api, caplog.at_level(logging.WARNING, logger="api.audit"):
        refused = api.post("/tasks", json={"digits": 3}, headers=bearer("pc_nobody"))
    assert refused.status_code == 403
    warnings = [r for r in caplog.records if r.name == "api.audit"]
    assert warnings and "auth_failure" in warnings[0].getMessage()


@pytest.fixture
def cli_state_dir(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """PICHORD_STATE_DIR for `pichord clients`, whose settings are read once per process."""
    monkeypatch.setenv("PICHORD_STATE_DIR", str(state_dir))
    get_settings.cache_clear()
    yield state_dir
    get_settings.cache_clear()


def test_adding_and_removing_a_client_is_noted_without_its_token(cli_state_dir: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["clients", "add", "ci", "--scope", "submit"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    assert runner.invoke(cli, ["clients", "remove", "ci"]).exit_code == 0
    # Refused commands changed nothing, so they note nothing.
    assert runner.invoke(cli, ["clients", "remove", "ci"]).exit_code == 1
    assert runner.invoke(cli, ["clients", "add", "Bad Name", "--scope", "read"]).exit_code == 1

    [add] = audit(cli_state_dir, AuditAction.CLIENT_ADD)
    [remove] = audit(cli_state_dir, AuditAction.CLIENT_REMOVE)
    assert (add.client, add.scope, add.remote, add.result) == ("ci", "submit", None, "added")
    assert (remove.client, remove.scope, remove.remote, remove.result) == (
        "ci",
        "submit",
        None,
        "removed",
    )
    assert add.time <= remove.time
    assert token.encode() not in audit_bytes(cli_state_dir)
    # Nor any part of it long enough to matter.
    assert token.removeprefix("pc_")[:12].encode() not in audit_bytes(cli_state_dir)


def test_submissions_replays_refusals_and_cancels_are_noted(state_dir: Path) -> None:
    token = book(state_dir).add("ci", Scope.SUBMIT)
    other = book(state_dir).add("dash", Scope.SUBMIT)
    settings = Settings(state_dir=state_dir, max_pending_jobs_per_client=1)
    headers = {**bearer(token), "Idempotency-Key": "k-1"}
    with TestClient(create_app(settings)) as api:
        job_id = api.post("/tasks", json={"digits": 3}, headers=headers).json()["id"]
        assert api.post("/tasks", json={"digits": 3}, headers=headers).status_code == 200
        assert api.get("/leibnic/4", headers=bearer(token)).status_code == 429
        assert api.delete(f"/tasks/{job_id}", headers=bearer(other)).status_code == 403
        assert api.delete(f"/tasks/{job_id}", headers=bearer(token)).status_code == 200
        assert api.delete(f"/tasks/{job_id}", headers=bearer(token)).status_code == 200
        unknown = "0f0e0d0c-0b0a-4908-8706-050403020100"
        assert api.delete(f"/tasks/{unknown}", headers=bearer(token)).status_code == 404
    submits = [
        (e.client, e.scope, e.job_id, e.result) for e in audit(state_dir, AuditAction.SUBMIT)
    ]
    assert submits == [
        ("ci", "submit", job_id, "accepted"),
        ("ci", "submit", job_id, "replayed"),
        ("ci", "submit", None, "429"),
    ]
    cancels = [(e.client, e.job_id, e.result) for e in audit(state_dir, AuditAction.CANCEL)]
    # The store's errors are noted with the status they are answered with.
    assert cancels == [
        ("dash", job_id, "403"),
        ("ci", job_id, "cancelled"),
        ("ci", job_id, "cancelled"),
        ("ci", unknown, "404"),
    ]
    assert all(e.remote == TEST_CLIENT_HOST for e in audit(state_dir, AuditAction.SUBMIT))
    assert token.encode() not in audit_bytes(state_dir)


def test_refusals_before_the_submission_is_read_are_noted_too(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, submit_rate_limit="1/minute")
    with TestClient(create_app(settings)) as api:
        assert (
            api.post(
                "/tasks", json={"digits": 3}, headers={"Idempotency-Key": "x" * 129}
            ).status_code
            == 422
        )
        assert api.post("/tasks", json={"digits": 3}).status_code == 429
    results = [e.result for e in audit(state_dir, AuditAction.SUBMIT)]
    assert results == ["422", "429"]
