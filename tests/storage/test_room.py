import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import JobStore
from storage.room import MIB, BelowReserveError, Reserve, WriteRefusedError, room_of
from tests.conftest import JobFactory
from tests.small_disk import fill, fill_inodes, mounted_tmpfs


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "size=4m,nr_inodes=400") as mounted:
        yield mounted


def test_the_room_is_what_statvfs_says_a_writer_may_use(disk: Path) -> None:
    # On a file system of the test's own, which nothing else writes between the two calls.
    found = os.statvfs(disk)
    room = room_of(disk)
    assert room.free_bytes == found.f_bavail * found.f_frsize
    assert room.counts_inodes and room.free_inodes == found.f_favail


def test_a_store_below_its_reserve_of_bytes_or_inodes_says_which(disk: Path) -> None:
    store = JobStore(disk / "state")
    store.check_room(Reserve(1 * MIB, 100))
    store.check_room(Reserve(0, 0))
    filler = fill(disk, leave=MIB // 2)
    with pytest.raises(BelowReserveError, match=r"MiB and \d+ inodes free, below the 1 MiB"):
        store.check_room(Reserve(1 * MIB, 100))
    store.check_room(Reserve(MIB // 4, 100))
    filler.unlink()
    free_inodes = room_of(disk).free_inodes
    with pytest.raises(BelowReserveError, match=f"{free_inodes} inodes free") as refused:
        store.check_room(Reserve(0, free_inodes + 1))
    assert refused.value.room.free_inodes == free_inodes
    store.check_room(Reserve(0, free_inodes))


def test_the_room_below_a_reserve_is_answered_without_raising(disk: Path) -> None:
    store = JobStore(disk / "state")
    assert store.room_below(Reserve(1 * MIB, 100)) is None
    filler = fill(disk, leave=MIB // 2)
    room = store.room_below(Reserve(1 * MIB, 100))
    assert room is not None and room.free_bytes < MIB
    assert store.room_below(Reserve(MIB // 4, 100)) is None
    filler.unlink()


def test_a_creation_that_meets_a_full_disk_at_any_step_stores_nothing(
    disk: Path, new_job: JobFactory
) -> None:
    """The disk is left with 0, 1, 2 ... free inodes, so that a creation runs out at each of
    its steps in turn (the record written aside, the move, admission's markers, the listing
    entries): each one that fails leaves neither folder nor marker, and the next succeeds."""
    store = JobStore(disk / "state")
    store.create(new_job(store=False, owner="alice"), lambda _: None)
    kept = store.ids()
    failed = 0
    for leave in range(12):
        fillers = fill_inodes(disk, leave)
        job = new_job(store=False, owner="alice")
        try:
            store.create(job, lambda _: None)
        except WriteRefusedError as exc:
            failed += 1
            assert "storage is full" in str(exc) and "no job was stored" in str(exc)
            assert not store.exists(job.id) and store.ids() == kept
            assert sorted(store.pending_ids()) == sorted(kept)
            assert store.pending_count("alice") == len(kept)
            assert [p.name for p in (disk / "state" / "jobs").iterdir()] == kept
        else:
            kept = store.ids()
            assert job.id in kept and store.get(job.id) == job
        for filler in fillers:
            filler.unlink()
    assert failed >= 4  # runs out at several steps, not only at the first file
    assert len(kept) > 1  # and once there is room, creations go on
