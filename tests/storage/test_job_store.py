import multiprocessing
import threading
import time
import uuid
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from storage import (
    ChunkRecord,
    CorruptRecordError,
    JobNotFoundError,
    JobRecord,
    JobStatus,
    JobStore,
)
from storage.staging import staged
from tests.conftest import JobFactory


def test_save_then_get_round_trips(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    assert store.get(job.id) == job
    assert store.ids() == [job.id]


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../etc/passwd",
        "..",
        "",
        "x" * 300,
        "ABCDEF00-0000-4000-8000-000000000000",
        "a/b",
        "%2e%2e",
    ],
)
def test_ids_that_are_not_uuids_never_reach_the_filesystem(state_dir: Path, bad_id: str) -> None:
    store = JobStore(state_dir)
    before = sorted(p for p in state_dir.rglob("*"))
    with pytest.raises(JobNotFoundError):
        store.get(bad_id)
    with pytest.raises(JobNotFoundError):
        store.request_cancel(bad_id)
    assert not store.exists(bad_id)
    assert sorted(p for p in state_dir.rglob("*")) == before


def test_unknown_job_is_not_found(state_dir: Path) -> None:
    with pytest.raises(JobNotFoundError):
        JobStore(state_dir).get(str(uuid.uuid4()))


def test_corrupt_record_is_reported_not_hidden(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    (state_dir / "jobs" / job.id / "job.json").write_text('{"id": "trunc')
    with pytest.raises(CorruptRecordError, match=job.id):
        store.get(job.id)
    assert store.ids() == [job.id]


def test_update_is_serialised_and_none_keeps_the_record(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    assert store.update(job.id, lambda current: None) == job
    done = store.update(
        job.id, lambda current: current.model_copy(update={"status": JobStatus.SUCCESS})
    )
    assert store.get(job.id).status is JobStatus.SUCCESS == done.status


def test_chunks_and_cancel_flag(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    assert store.chunks(job.id) == {}
    record = ChunkRecord(index=1, start=60, stop=100, terms_done=20, details={"partial": 0.5})
    store.save_chunk(job.id, record)
    assert store.chunks(job.id) == {1: record}
    assert not store.cancel_requested(job.id)
    store.request_cancel(job.id)
    assert store.cancel_requested(job.id)


def _hammer(state_dir: Path, job_id: str, rounds: int) -> None:
    store = JobStore(state_dir)
    for i in range(rounds):
        store.save_chunk(
            job_id,
            ChunkRecord(
                index=0,
                start=0,
                stop=10**9,
                terms_done=2 * i,
                details={"partial": float(i)},
                worker="w" * (i % 50),
            ),
        )


def test_readers_never_see_a_partial_write(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    store.save_chunk(job.id, ChunkRecord(index=0, start=0, stop=10**9))
    writer = multiprocessing.get_context("fork").Process(
        target=_hammer, args=(state_dir, job.id, 400)
    )
    writer.start()
    seen = []
    deadline = time.monotonic() + 60
    path = state_dir / "jobs" / job.id / "chunks" / "0.json"
    while writer.is_alive() and time.monotonic() < deadline:
        # Parse the raw file: a torn write would fail validation here.
        seen.append(ChunkRecord.model_validate_json(path.read_bytes()).terms_done)
    writer.join()
    assert writer.exitcode == 0
    assert len(seen) > 10
    assert seen == sorted(seen)  # one writer, atomic replaces: progress never goes back
    leftovers = [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_chunk_lock_excludes_a_second_holder(state_dir: Path, new_job: JobFactory) -> None:
    # flock conflicts between separate open files, so two threads stand in for two workers.
    store = JobStore(state_dir)
    job = new_job(store=False)
    store.create(job)
    events: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with store.chunk_lock(job.id, 0):
            holding.set()
            time.sleep(0.3)
            events.append("first released")

    def second() -> None:
        holding.wait()
        with store.chunk_lock(job.id, 0):
            events.append("second acquired")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert events == ["first released", "second acquired"]


def test_pending_markers_follow_the_record_and_are_rebuilt(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    running, done = new_job(store=False), new_job(store=False)
    store.create(running)
    store.create(done)
    assert sorted(store.pending_ids()) == sorted([running.id, done.id])
    store.update(done.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))
    assert store.pending_ids() == [running.id]
    assert store.newest_first(JobStatus.SUCCESS) == [done.id]
    assert store.newest_first(JobStatus.FAILURE) == []
    # A crash between writing a record and its marker, either way round.
    (state_dir / "pending" / running.id).unlink()
    (state_dir / "pending" / done.id).touch()
    (state_dir / "finished" / "SUCCESS").rename(state_dir / "lost")
    store.rebuild_index()
    assert store.pending_ids() == [running.id]
    assert store.newest_first(JobStatus.SUCCESS) == [done.id]


def test_a_rebuild_keeps_markers_of_jobs_created_during_its_scan(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    created_meanwhile = new_job(store=False)
    store.create(created_meanwhile)
    (state_dir / "pending" / str(uuid.uuid4())).touch()  # a job that is gone
    # The scan saw no job at all: another process created this one after it.
    store.index.rebuild(iter([]), store.exists)
    assert store.pending_ids() == [created_meanwhile.id]
    assert store.newest_first() == [created_meanwhile.id]


def test_a_clients_jobs_are_listed_and_counted_by_owner_and_rebuilt(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    first, second, other, anonymous = (
        new_job(store=False, owner="ci"),
        new_job(store=False, owner="ci"),
        new_job(store=False, owner="dash"),
        new_job(store=False),
    )
    for job in (first, second, other, anonymous):
        store.create(job)
        time.sleep(0.001)  # distinct creation times, so the order below is known
    assert store.newest_first(owner="ci") == [second.id, first.id]
    assert sorted(store.pending_ids("ci")) == sorted([first.id, second.id])
    assert len(store.pending_ids()) == 4 == store.pending_count()
    assert store.pending_count("ci") == 2 and store.pending_count("nobody") == 0
    assert store.newest_first(owner="nobody") == [] and store.pending_ids("nobody") == []

    store.update(first.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))
    assert store.pending_ids("ci") == [second.id]
    assert store.newest_first(JobStatus.SUCCESS, "ci") == [first.id]
    assert store.newest_first(JobStatus.SUCCESS, "dash") == []

    # Markers lost or left by a crash come back from the records.
    (state_dir / "owners" / "ci" / "pending" / second.id).unlink()
    (state_dir / "owners" / "dash" / "pending" / first.id).touch()
    (state_dir / "owners" / "dash" / "all").rename(state_dir / "lost")
    store.rebuild_index()
    assert store.pending_ids("ci") == [second.id]
    assert store.pending_ids("dash") == [other.id]
    assert store.newest_first(owner="dash") == [other.id]

    store.delete(second.id)
    assert store.newest_first(owner="ci") == [first.id] and store.pending_ids("ci") == []


class RefusedError(RuntimeError):
    pass


def test_a_refused_creation_stores_nothing(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    job = new_job(store=False)

    def refuse(_: int) -> None:
        raise RefusedError

    with pytest.raises(RefusedError):
        store.create(job, refuse)
    assert not store.exists(job.id) and store.pending_ids() == []
    assert [p.name for p in (state_dir / "jobs").iterdir()] == []
    store.create(job, lambda _: None)
    assert store.get(job.id) == job and store.pending_ids() == [job.id]
    with pytest.raises(FileExistsError, match=job.id):
        store.create(job.model_copy(update={"digits": 9}))
    assert store.get(job.id) == job


def test_admitted_creations_take_turns(state_dir: Path, new_job: JobFactory) -> None:
    """The admission check and the creation it admits are one step: a second creation's
    check waits until the first job is stored, so both cannot take one last place."""
    store = JobStore(state_dir)
    first, second = new_job(store=False), new_job(store=False)
    checking, go_on = threading.Event(), threading.Event()
    counted: list[tuple[str, int]] = []

    def slow_check(pending: int) -> None:
        checking.set()
        assert go_on.wait(30)
        counted.append(("first", pending))

    creating = threading.Thread(target=store.create, args=(first, slow_check))
    creating.start()
    assert checking.wait(30)
    second_done = threading.Thread(
        target=store.create,
        args=(second, lambda pending: counted.append(("second", pending))),
    )
    second_done.start()
    time.sleep(0.2)  # time for the second check to run, were it not held back
    go_on.set()
    creating.join(30)
    second_done.join(30)
    assert counted == [("first", 0), ("second", 1)]


def _write_and_hold(state_dir: Path, job: JobRecord, holding: Event, done: Event) -> None:
    # Another process creating a job: its folder is written aside, under its lock.
    with staged(state_dir / "jobs", job.id) as folder:
        (folder.path / "job.json").write_text(job.model_dump_json())
        holding.set()
        done.wait(30)


def test_a_creation_cut_short_is_removed_at_start(state_dir: Path, new_job: JobFactory) -> None:
    store = JobStore(state_dir)
    kept = new_job()
    # A creation whose process died: its folder is left, and nobody holds its lock.
    abandoned = state_dir / "jobs" / f".{uuid.uuid4()}.new"
    (abandoned / "chunks").mkdir(parents=True)
    (abandoned / "job.json").write_text(kept.model_dump_json())
    context = multiprocessing.get_context("fork")
    holding, done = context.Event(), context.Event()
    writer = context.Process(
        target=_write_and_hold, args=(state_dir, new_job(store=False), holding, done)
    )
    writer.start()
    try:
        assert holding.wait(30)
        in_progress = [p for p in (state_dir / "jobs").glob(".*.new") if p != abandoned]
        assert len(in_progress) == 1
        assert store.ids() == [kept.id]  # staged folders are never listed as jobs
        store.refresh_index()
        assert not abandoned.exists() and in_progress[0].exists()
        assert store.ids() == [kept.id] and store.get(kept.id) == kept
    finally:
        done.set()
        writer.join(30)
    assert not list((state_dir / "jobs").glob(".*"))


def test_an_owner_that_is_not_a_client_name_is_refused(new_job: JobFactory) -> None:
    with pytest.raises(ValueError, match="owner"):
        new_job(store=False, owner="../../etc")


def test_at_start_markers_that_add_up_are_kept_and_only_pending_records_read(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    done, crashed, running = (new_job(store=False) for _ in range(3))
    for job in (done, crashed, running):
        store.create(job)
    for job in (done, crashed):
        store.update(job.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))
    # A crash between a record saying SUCCESS and its markers: still marked pending.
    (state_dir / "pending" / crashed.id).touch()
    # A finished record that would read as FAILURE: untouched, as no finished record is read.
    (state_dir / "jobs" / done.id / "job.json").write_text("{garbage")
    store.refresh_index()
    assert store.pending_ids() == [running.id]
    assert sorted(store.newest_first(JobStatus.SUCCESS)) == sorted([done.id, crashed.id])
    # Markers that do not add up with the job folders: every record is read again.
    (state_dir / "pending" / running.id).unlink()
    store.refresh_index()
    assert store.pending_ids() == [running.id]
    assert store.newest_first(JobStatus.FAILURE) == [done.id]


def test_deleting_a_read_record_removes_every_marker_it_has(
    state_dir: Path, new_job: JobFactory
) -> None:
    store = JobStore(state_dir)
    kept, gone = new_job(owner="ci"), new_job(owner="ci")
    for job in (kept, gone):
        store.update(job.id, lambda j: j.model_copy(update={"status": JobStatus.SUCCESS}))
    # A pending marker a crash left beside the finished record goes too.
    (state_dir / "owners" / "ci" / "pending" / gone.id).touch()
    store.delete(gone.id, store.get(gone.id))
    assert store.newest_first() == [kept.id] == store.newest_first(JobStatus.SUCCESS, "ci")
    assert store.pending_ids() == [] and store.pending_ids("ci") == []
    assert store.index.adds_up({kept.id})


def test_a_record_of_the_flat_layout_keeps_its_method_data_as_details(
    state_dir: Path, new_job: JobFactory
) -> None:
    # Before a method's data had a key of its own, it sat beside the shared fields.
    job = new_job()
    old = {"index": 0, "start": 0, "stop": 60, "terms_done": 60, "sum": 0.5, "gone": None}
    record = ChunkRecord.model_validate(old)
    assert record.details == {"sum": 0.5} and record.terms_done == 60
    JobStore(state_dir).save_chunk(job.id, record)
    assert JobStore(state_dir).chunks(job.id)[0].details == {"sum": 0.5}
