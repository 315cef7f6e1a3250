from pathlib import Path

import pytest
from pydantic import ValidationError

from config import ConfigError, Settings
from pipeline.celery_app import create_celery_app
from pipeline.celery_config import result_backend_url


def test_env_overrides_and_state_dir_is_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PICHORD_API_PORT", "8123")
    monkeypatch.setenv("PICHORD_STATE_DIR", "rel/state")
    settings = Settings()
    assert settings.api_port == 8123
    assert settings.state_dir == tmp_path / "rel" / "state"
    assert settings.embedded_broker


@pytest.mark.parametrize("url", ["rpc://", "disabled://"])
def test_backend_without_chords_is_refused_with_the_fix(url: str) -> None:
    with pytest.raises(ValidationError, match="cannot join a Celery chord; unset it"):
        Settings(result_backend=url)


def test_unknown_broker_scheme_is_refused() -> None:
    with pytest.raises(ValidationError, match="amqp://user:password@host"):
        Settings(broker_url="http://127.0.0.1:5672")


def test_default_backend_is_the_file_backend_under_the_state_dir(settings: Settings) -> None:
    url = result_backend_url(settings)
    assert url == f"storage.result_backend:FileResultBackend+file://{settings.state_dir}/results"
    app = create_celery_app(settings)
    assert type(app.backend).__name__ == "FileResultBackend"
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("PICHORD_API_PORT", port)
    with pytest.raises(ValidationError, match="api_port"):
        Settings()


@pytest.mark.parametrize(
    ("where", "setting"),
    [
        ({"api_host": "0.0.0.0"}, "PICHORD_API_HOST='0.0.0.0'"),
        ({"api_host": "::"}, "PICHORD_API_HOST='::'"),
        ({"api_host": "pi.example.org"}, "PICHORD_API_HOST='pi.example.org'"),
        # compose: uvicorn binds 0.0.0.0 in the container, the host publishes it here.
        ({"api_host": "0.0.0.0", "publish_address": "0.0.0.0"}, "PICHORD_PUBLISH_ADDRESS="),
        ({"publish_address": "192.168.1.20"}, "PICHORD_PUBLISH_ADDRESS='192.168.1.20'"),
    ],
)
def test_an_api_reachable_from_other_machines_needs_a_token(
    where: dict[str, str], setting: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**where)  # type: ignore[arg-type]
    message = str(refused.value)
    assert setting in message
    assert "Set PICHORD_API_TOKEN" in message
    assert "PICHORD_ALLOW_OPEN=true" in message
    assert Settings(**where, api_token="t").exposed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "where",
    [
        {},
        {"api_host": "localhost"},
        {"api_host": "127.0.0.2"},
        {"api_host": "::1"},
        {"api_host": "0.0.0.0", "publish_address": "127.0.0.1"},
        {"api_host": "0.0.0.0", "publish_address": "[::1]"},
        # compose's `${PICHORD_API_TOKEN:-}` is an empty string: no token, not an empty one.
        {"api_host": "0.0.0.0", "publish_address": "127.0.0.1", "api_token": ""},
    ],
)
def test_loopback_needs_no_token(where: dict[str, str]) -> None:
    settings = Settings(**where)  # type: ignore[arg-type]
    assert not settings.exposed and settings.api_token is None
    assert settings.open_warning is None


def test_allow_open_starts_without_a_token_and_says_so() -> None:
    settings = Settings(publish_address="0.0.0.0", allow_open=True)
    assert settings.exposed and settings.api_token is None
    assert settings.open_warning is not None
    assert "PICHORD_PUBLISH_ADDRESS='0.0.0.0'" in settings.open_warning
    assert "anyone who reaches it can submit" in settings.open_warning


def test_a_worker_serves_no_api_and_is_not_judged() -> None:
    assert Settings(role="worker", api_host="0.0.0.0").role == "worker"  # type: ignore[arg-type]


def test_an_idempotency_key_never_outlives_the_jobs() -> None:
    assert Settings(retention_days=1, idempotency_hours=48).idempotency_lifetime.days == 1
    assert Settings(retention_days=7).idempotency_lifetime.total_seconds() == 24 * 3600
    # Nothing is ever removed: the hours alone.
    assert Settings(retention_days=0, idempotency_hours=48).idempotency_lifetime.days == 2
