from pathlib import Path

import pytest
from pydantic import ValidationError

from config import ConfigError, Settings
from pipeline.celery_app import create_celery_app, result_backend_url


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
