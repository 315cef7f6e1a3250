"""Where the `pichord` command takes --url and --token from (api/cli.py)."""

from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli
from config.supervisord import EXIT_CANNOT_START
from tests.conftest import MethodEnv

URL_BEFORE = "http://before.invalid:1"
URL_AFTER = "http://after.invalid:2"


class Recorder:
    """Stands in for ApiClient: records where it was pointed and answers a finished job."""

    made: list[tuple[str, str | None]]

    def __init__(self, url: str, token: str | None) -> None:
        self.made.append((url, token))

    def submit(self, method: str, digits: int, key: str | None = None) -> str:
        return "job-1"

    def task(self, job_id: str) -> dict[str, Any]:
        return {"status": "SUCCESS", "result": "3.1415", "verified": True, "certificate": {}}

    def chunks(self, job_id: str) -> list[dict[str, Any]]:
        return []

    def tasks(self, status: str | None, limit: int, owner: str | None = None) -> dict[str, Any]:
        return {"total": 0, "tasks": []}

    def cancel(self, job_id: str) -> dict[str, Any]:
        return {"id": job_id, "status": "REVOKED"}


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    made: list[tuple[str, str | None]] = []
    monkeypatch.setattr(Recorder, "made", made, raising=False)
    monkeypatch.setattr(cli, "ApiClient", Recorder)
    monkeypatch.delenv("PICHORD_URL", raising=False)
    monkeypatch.delenv("PICHORD_TOKEN", raising=False)
    return made


def run(*args: str, **env: str) -> str:
    result = CliRunner().invoke(cli.app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "command",
    [["submit", "4", "--watch"], ["watch", "job-1"], ["list"], ["cancel", "job-1"]],
)
def test_url_and_token_after_the_command(
    made: list[tuple[str, str | None]], command: list[str]
) -> None:
    run(*command, "--url", URL_AFTER, "--token", "t-after")
    assert made == [(URL_AFTER, "t-after")]


def test_before_the_command_still_works_and_after_wins(made: list[tuple[str, str | None]]) -> None:
    run("--url", URL_BEFORE, "--token", "t-before", "submit", "4", "--watch")
    run("--url", URL_BEFORE, "--token", "t-before", "submit", "4", "--url", URL_AFTER)
    assert made == [(URL_BEFORE, "t-before"), (URL_AFTER, "t-before")]


def test_options_after_the_command_win_over_the_environment(
    made: list[tuple[str, str | None]],
) -> None:
    run("list", PICHORD_URL=URL_BEFORE, PICHORD_TOKEN="t-env")
    run("list", "--token", "t-after", PICHORD_URL=URL_BEFORE, PICHORD_TOKEN="t-env")
    assert made == [(URL_BEFORE, "t-env"), (URL_BEFORE, "t-after")]


def test_an_unreachable_url_after_the_command_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PICHORD_URL", raising=False)
    # Port 9 on loopback: nothing listens there, the connection is refused at once.
    result = CliRunner().invoke(cli.app, ["submit", "4", "--watch", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9" in result.output


def test_serve_names_a_bad_method_setting_and_starts_nothing(method_env: MethodEnv) -> None:
    method_env(PICHORD_EULER_MAX_DIGITS="many")
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == EXIT_CANNOT_START
    assert "pichord serve: PICHORD_EULER_MAX_DIGITS: Input should be a valid integer" in (
        result.stderr
    )
