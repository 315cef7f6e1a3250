"""Admission against the limit on unfinished jobs: exact where it refuses, and without a
listing of the pending jobs while the service is far from its limit."""

from collections.abc import Callable
from pathlib import Path

import pytest

from storage import JobRecord, JobStatus, JobStore
from storage.room import WriteRefusedError
from storage.staging import staged
from tests.conftest import JobFactory

AdmitFn = Callable[[int], None]


class FullError(RuntimeError):
    pass


def at_most(most: int, seen: list[int]) -> AdmitFn:
    """Admission with a limit of ``most`` unfinished jobs; notes each number it is given."""

    def admit(pending: int) -> None:
        seen.append(pending)
        if pending >= most:
            raise FullError(pending)

    return admit


def finish(store: JobStore, job: JobRecord) -> None:
    store.update(job.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))


def test_admission_counts_once_then_keeps_a_bound_above_the_count(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    seen: list[int] = []
    jobs = [new_job(store=False) for _ in range(3)]
    for job in jobs:
        store.create(job, at_most(10, seen))
    assert seen == [0, 1, 2]
    # Finished jobs lower the count, not the bound: nothing was listed to learn it.
    finish(store, jobs[0])
    finish(store, jobs[1])
    assert store.pending_count() == 1
    store.create(new_job(store=False), at_most(10, seen))
    assert seen[-1] == 3


def test_a_refusal_on_the_bound_is_checked_on_a_count(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    seen: list[int] = []
    first, second = new_job(store=False), new_job(store=False)
    store.create(first, at_most(2, seen))
    store.create(second, at_most(2, seen))
    finish(store, first)
    # The bound (2) is at the limit; one job is unfinished, so the third is taken.
    third = new_job(store=False)
    store.create(third, at_most(2, seen))
    assert seen == [0, 1, 2, 1] and store.exists(third.id)
    # Two unfinished jobs now: refused on the count itself, and nothing is stored.
    fourth = new_job(store=False)
    with pytest.raises(FullError, match="2"):
        store.create(fourth, at_most(2, seen))
    assert seen[-2:] == [2, 2] and not store.exists(fourth.id)
    # Refused after its folder was moved into place: moved out again, staging and all.
    stored = {job.id for job in (first, second, third)}
    assert {path.name for path in (state_dir / "jobs").iterdir()} == stored
    assert store.pending_count() == 2


def test_markers_added_outside_admission_make_the_next_one_count(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    seen: list[int] = []
    store.create(new_job(store=False), at_most(10, seen))
    # A creation without admission (the bound would not know of it)...
    new_job()
    store.create(new_job(store=False), at_most(10, seen))
    assert seen == [0, 2]
    # ... and an index rebuilt at start, which restores lost pending markers.
    lost = new_job(store=False)
    store.create(lost, at_most(10, seen))
    (state_dir / "pending" / lost.id).unlink()
    store.rebuild_index()
    store.create(new_job(store=False), at_most(10, seen))
    assert seen[-1] == 4 == store.pending_count() - 1


def test_the_check_before_writing_counts_when_the_bound_refuses(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    seen: list[int] = []
    job = new_job(store=False)
    store.create(job, at_most(1, seen))
    finish(store, job)
    assert store.admission.check(at_most(1, seen)) == 0
    assert seen == [0, 1, 0]


@pytest.mark.parametrize("failing", ["taking the lock", "marking", "after a start listed it"])
def test_an_admission_that_fails_part_way_leaves_no_job(
    state_dir: Path, new_job: JobFactory, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The folder is in place before admission: a failure there (a full disk, no more file
    descriptors) must take it back out, with any marker made, as a refusal does."""
    store = JobStore(state_dir)
    kept = new_job(store=False, owner="alice")
    store.create(kept, at_most(10, []))

    def fail(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "marking":
        # The client's marker is made, then the service's fails.
        make = store.index.mark_pending

        def half(job_id: str, owner: str | None) -> None:
            make(job_id, owner)
            fail()

        monkeypatch.setattr(store.index, "mark_pending", half)
    elif failing == "after a start listed it":
        # An API start found the folder without markers and gave it some, as its rebuild does.
        def listed_then_fail(*_: object) -> None:
            store.index.mark_pending(lost.id, lost.owner)
            store.index.add_entries(lost.id, lost.pushqtime, lost.status, lost.owner)
            fail()

        monkeypatch.setattr(store.admission, "held", listed_then_fail)
    else:
        monkeypatch.setattr(store.admission, "held", fail)
    lost = new_job(store=False, owner="alice")
    with pytest.raises(WriteRefusedError, match="No space"):
        store.create(lost, at_most(10, []))
    assert [path.name for path in (state_dir / "jobs").iterdir()] == [kept.id]
    assert store.pending_ids() == [kept.id] and store.pending_count("alice") == 1
    assert store.page(None, None, 0, 10) == ([kept.id], 1)
    assert store.page(None, "alice", 0, 10) == ([kept.id], 1)


def test_a_folder_that_cannot_be_moved_back_is_removed_in_place(state_dir: Path) -> None:
    jobs = state_dir / "jobs"
    jobs.mkdir(exist_ok=True)
    with staged(jobs, "job-1") as folder:
        (folder.path / "job.json").write_text("{}")
        folder.move_to(jobs / "job-1")
        # Something took the staged name meanwhile: the rename back fails.
        (folder.path / "other").mkdir(parents=True)
        folder.move_back()
        assert not (jobs / "job-1").exists()
    assert list(jobs.iterdir()) == []
