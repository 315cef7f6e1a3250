"""The store's file primitives: markers."""

from pathlib import Path

import pytest

from storage.atomic import make_marker


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
