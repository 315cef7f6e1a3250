"""Finding supervisor's console scripts wherever pip put them (config/supervisord.py _tool)."""

import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import supervisord
from config.settings import get_settings
from config.supervisord import ToolNotFoundError


def script(folder: Path, name: str = "supervisord") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Debian's layout: the interpreter in usr/bin, pip's scripts path in usr/local/bin."""
    python = script(tmp_path / "usr" / "bin", "python")
    monkeypatch.setattr(supervisord.sys, "executable", str(python))
    scripts = str(tmp_path / "usr" / "local" / "bin")
    monkeypatch.setattr(sysconfig, "get_path", lambda name: scripts)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    return tmp_path


def test_a_script_beside_the_interpreter_wins(layout: Path) -> None:
    beside = script(layout / "usr" / "bin")
    script(layout / "usr" / "local" / "bin")
    assert supervisord._tool("supervisord") == str(beside)


def test_debian_layout_finds_the_script_in_the_scripts_path(layout: Path) -> None:
    found = script(layout / "usr" / "local" / "bin")
    assert supervisord._tool("supervisord") == str(found)


def test_a_script_only_on_path_is_found_with_an_absolute_path(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.execve does not search PATH: a bare name would fail with FileNotFoundError.
    found = script(layout / "opt" / "tools")
    monkeypatch.setenv("PATH", f"{layout / 'empty'}:{found.parent}")
    assert supervisord._tool("supervisord") == str(found)


def test_a_missing_script_names_where_it_looked_and_the_fix(layout: Path) -> None:
    with pytest.raises(ToolNotFoundError) as error:
        supervisord._tool("supervisorctl")
    message = str(error.value)
    assert "'supervisorctl'" in message and str(layout / "usr" / "bin" / "python") in message
    assert str(layout / "usr" / "local" / "bin") in message and "pip install supervisor" in message


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings")
def test_bad_settings_are_named_with_their_fix_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PICHORD_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("PICHORD_API_HOST", "0.0.0.0")
    monkeypatch.setenv("PICHORD_API_PORT", "70000")
    with pytest.raises(SystemExit) as exited:
        supervisord.main([])
    assert exited.value.code == supervisord.EXIT_CANNOT_START
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("pichord serve: PICHORD_API_PORT: Input should be less than")
    assert len(lines) == 1  # the exposure rule needs valid fields first
    monkeypatch.setenv("PICHORD_API_PORT", "8000")
    with pytest.raises(SystemExit):
        supervisord.main([])
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("pichord serve: PICHORD_API_HOST='0.0.0.0' makes the API reachable")
    assert "Set PICHORD_API_TOKEN" in line
    assert not (tmp_path / "supervisor").exists()  # nothing was started or locked
