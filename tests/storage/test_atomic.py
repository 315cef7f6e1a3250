"""The store's file primitives: markers and locks."""

from pathlib import Path

import pytest

from storage.atomic import lock_nowait, locked, make_marker, try_locked


def test_a_marker_is_an_empty_file_and_one_already_there_is_kept(tmp_path: Path) -> None:
    make_marker(tmp_path / "new")
    assert (tmp_path / "new").read_bytes() == b""
    (tmp_path / "kept").write_bytes(b"written")
    make_marker(tmp_path / "kept")
    assert (tmp_path / "kept").read_bytes() == b"written"


def test_a_marker_in_a_missing_folder_makes_it_only_when_asked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        make_marker(tmp_path / "missing" / "marker")
    assert not (tmp_path / "missing").exists()
    make_marker(tmp_path / "missing" / "deeper" / "marker", make_folder=True)
    assert (tmp_path / "missing" / "deeper" / "marker").is_file()


def test_a_folder_is_locked_as_it_is_with_no_lock_file_made(tmp_path: Path) -> None:
    # flock conflicts between separate open files, even of one process.
    folder = tmp_path / "job"
    folder.mkdir()
    with locked(folder):
        with try_locked(folder) as free:
            assert not free
        assert lock_nowait(folder) is None
    assert list(folder.iterdir()) == []
    with try_locked(folder) as free:
        assert free
    with try_locked(tmp_path / "job.lock") as free:
        assert free and (tmp_path / "job.lock").is_file()
