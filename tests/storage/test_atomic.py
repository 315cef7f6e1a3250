"""The store's file primitives: markers and locks."""

from pathlib import Path

import pytest

from storage.atomic import locked, make_marker, try_locked


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
    with locked(folder, folder=True), try_locked(folder, folder=True) as free:
        assert not free
    assert list(folder.iterdir()) == []
    with try_locked(folder, folder=True) as free:
        assert free
    with try_locked(tmp_path / "job.lock") as free:
        assert free and (tmp_path / "job.lock").is_file()


def test_a_folder_gone_is_not_locked_nor_made_a_file(tmp_path: Path) -> None:
    # A job removed between a look and its lock: its name must not come back as a file.
    with pytest.raises(FileNotFoundError), locked(tmp_path / "gone", folder=True):
        pass
    with pytest.raises(FileNotFoundError), try_locked(tmp_path / "gone", folder=True):
        pass
    assert list(tmp_path.iterdir()) == []
