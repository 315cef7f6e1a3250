import os
import threading
from pathlib import Path

import pytest

from storage.removal import remove_tree


def make_job_folder(folder: Path) -> None:
    (folder / "chunks").mkdir(parents=True)
    (folder / "job.json").write_text("{}")
    (folder / "job.lock").touch()
    for index in range(3):
        (folder / "chunks" / f"{index}.json").write_text("{}")
    (folder / "claims").mkdir()
    (folder / "claims" / "d1.json").write_text("{}")


def test_a_folder_is_removed_with_everything_under_it(tmp_path: Path) -> None:
    make_job_folder(tmp_path / "job")
    remove_tree(tmp_path / "job")
    assert os.listdir(tmp_path) == []


def test_links_are_removed_and_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_job_folder(outside)
    job = tmp_path / "job"
    make_job_folder(job)
    (job / "to-folder").symlink_to(outside)
    (job / "chunks" / "to-file").symlink_to(outside / "job.json")
    remove_tree(str(job))
    assert not job.exists()
    assert (outside / "job.json").read_text() == "{}"
    assert sorted(os.listdir(outside / "chunks")) == ["0.json", "1.json", "2.json"]


def test_a_folder_already_gone_is_done(tmp_path: Path) -> None:
    remove_tree(tmp_path / "never-made")


def test_two_sweeps_removing_the_same_folders_both_finish(tmp_path: Path) -> None:
    folders = [tmp_path / f"job-{n}" for n in range(200)]
    for folder in folders:
        make_job_folder(folder)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def sweep() -> None:
        start.wait()
        try:
            for folder in folders:
                remove_tree(folder)
        except BaseException as exc:
            failures.append(exc)

    sweeps = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join()
    assert failures == []
    assert os.listdir(tmp_path) == []


def test_what_it_cannot_remove_is_skipped_and_the_rest_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = tmp_path / "job"
    make_job_folder(job)
    unlink = os.unlink

    def refuse_the_lock(path: str, *, dir_fd: int | None = None) -> None:
        if path.endswith("job.lock"):
            raise PermissionError(1, "Operation not permitted", path)
        unlink(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", refuse_the_lock)
    remove_tree(job)
    assert sorted(str(p.relative_to(job)) for p in job.rglob("*")) == ["job.lock"]
