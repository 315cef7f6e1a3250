"""GET /running and the aggregation behind it: unfinished jobs, their processes, rates and
time left, in process on the embedded broker with no worker (chunk files written here)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.chunk_cache import ChunkCache
from api.main import create_app
from api.running import RateSampler, Reading, fleet_load, running_jobs
from config import Settings
from pipeline.fleet import fleet
from storage import ChunkRecord, JobStatus, JobStore
from tests.conftest import MethodEnv, fleet_member

TOKEN = "reader-token-for-tests"


@pytest.fixture
def settings(state_dir: Path, method_env: MethodEnv) -> Settings:
    # A slow kernel on paper, so an n=7 job is planned as several chunks.
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND="1e6")
    return Settings(state_dir=state_dir)


def submit(client: TestClient, digits: int) -> str:
    job_id: str = client.post("/tasks", json={"digits": digits}).json()["id"]
    return job_id


def record(
    store: JobStore, job_id: str, index: int, done_share: float, **changes: object
) -> ChunkRecord:
    spec = store.get(job_id).chunks[index]
    chunk = ChunkRecord(
        index=index,
        start=spec.start,
        stop=spec.stop,
        terms_done=int(spec.terms * done_share),
        worker="w1@host",
        pid=4242,
        starttime=datetime.now(UTC) - timedelta(seconds=2),
    ).model_copy(update=changes)
    store.save_chunk(job_id, chunk)
    return chunk


def test_sampler_rates_over_the_window_only() -> None:
    sampler = RateSampler(window=10.0)
    assert sampler.observe("a", Reading(100.0, 0, 0.0)) is None
    assert sampler.observe("a", Reading(100.2, 10, 0.1)) is None  # too close to tell
    rate = sampler.observe("a", Reading(102.0, 2000, 20.0))
    assert rate is not None and rate.terms_per_second == pytest.approx(1000.0)
    assert rate.percent_per_second == pytest.approx(10.0)
    # Thirty seconds later at a tenth of the speed: the old, fast readings no longer count.
    for step in range(1, 31):
        rate = sampler.observe("a", Reading(102.0 + step, 2000 + 100 * step, 20.0 + step))
    assert rate is not None and rate.terms_per_second == pytest.approx(100.0)
    assert rate.seconds <= 11.0
    sampler.keep_only(set())
    assert sampler.observe("a", Reading(200.0, 0, 0.0)) is None


def test_waiting_jobs_are_listed_oldest_first_with_no_process(client: TestClient) -> None:
    first, second = submit(client, 5), submit(client, 3)
    body = client.get("/running").json()
    assert [job["id"] for job in body["jobs"]] == [first, second]
    assert all(job["status"] == "WAITING" and job["processes"] == [] for job in body["jobs"])
    assert all(job["rate"] is None and job["eta_seconds"] is None for job in body["jobs"])
    assert body["processes_busy"] == 0
    assert body["queue"] == "pichord"
    # No worker beats: no process time to share.
    assert body["processes_online"] == 0
    assert body["busy_share"] is None and body["busy_window_seconds"] is None


def test_processes_are_the_chunks_whose_lock_is_held(client: TestClient, state_dir: Path) -> None:
    store = JobStore(state_dir)
    job_id = submit(client, 7)
    record(store, job_id, 0, 1.0, status=JobStatus.SUCCESS)
    record(store, job_id, 1, 0.5)
    # A record left at PROGRESS by a killed worker: nobody holds its lock any more.
    record(store, job_id, 2, 0.25, worker="gone@host", pid=1)
    with store.chunk_lock(job_id, 1):
        [job] = client.get("/running").json()["jobs"]
    assert job["status"] == "PROGRESS"
    assert job["processes"] == [{"worker": "w1@host", "pid": 4242, "chunk": 1}]
    assert job["chunks_done"] == 1 and 0 < job["percent"] < 100
    # No second reading yet: the rate is the average since the first chunk started.
    assert job["rate"] > 0 and job["rate_seconds"] >= 2
    assert job["eta_seconds"] > 0
    [job] = client.get("/running").json()["jobs"]
    assert job["processes"] == []


def test_busy_share_is_the_workers_share_of_process_time(
    client: TestClient, settings: Settings
) -> None:
    """Two processes computing chunk after chunk read 0, 1 or 2 busy at an instant; their
    heartbeats' share over a window reads what they did."""
    fleet(settings).beat(fleet_member("w1@a.1", processes=2, share=0.95, window=10.0))
    fleet(settings).beat(fleet_member("w2@b.2", processes=2, share=0.45, window=4.0))
    fleet(settings).beat(fleet_member("gone@c.3", processes=4, share=0.0, window=10.0, age=60))
    body = client.get("/running").json()
    assert body["processes_online"] == 4
    assert body["busy_share"] == pytest.approx(0.7)
    assert body["busy_window_seconds"] == 10.0


def test_fleet_load_weights_each_worker_by_its_pool() -> None:
    load = fleet_load([fleet_member("a", 1, 1.0, 10.0), fleet_member("b", 3, 0.0, 10.0)])
    assert (load.workers, load.processes, load.busy_share) == (2, 4, 0.25)
    assert fleet_load([]).busy_share is None


def test_rate_and_time_left_follow_recent_readings(client: TestClient, state_dir: Path) -> None:
    job_id = submit(client, 7)
    store, cache, sampler = JobStore(state_dir), ChunkCache(max_jobs=8), RateSampler()
    spec = store.get(job_id).chunks[0]
    total = store.get(job_id).terms_total
    record(store, job_id, 0, 0.0)
    running_jobs(store, cache, sampler, now=1000.0)
    record(store, job_id, 0, 0.5)
    [job] = running_jobs(store, cache, sampler, now=1004.0)
    done = spec.terms // 2
    assert job.rate == pytest.approx(done / 4)
    assert job.rate_seconds == pytest.approx(4.0)
    assert job.eta_seconds == pytest.approx((total - done) / (done / 4), rel=0.01)


def test_finished_jobs_leave_the_list(client: TestClient, state_dir: Path) -> None:
    job_id = submit(client, 3)
    assert client.delete(f"/tasks/{job_id}").json()["status"] == "REVOKED"
    assert client.get("/running").json()["jobs"] == []


def count_reads(store: JobStore) -> list[tuple[str, int]]:
    """The (job, chunk) of every chunk file the store reads from now on."""
    reads: list[tuple[str, int]] = []
    original = store.get_chunk

    def counting(job: str, index: int) -> ChunkRecord | None:
        reads.append((job, index))
        return original(job, index)

    store.get_chunk = counting  # type: ignore[method-assign]
    return reads


def test_chunk_cache_rereads_only_changed_files(state_dir: Path, client: TestClient) -> None:
    store = JobStore(state_dir)
    job_id = submit(client, 7)
    first = record(store, job_id, 0, 0.25)
    cache = ChunkCache(max_jobs=8)
    assert cache.chunks(store, job_id)[0].terms_done == first.terms_done
    reads = count_reads(store)
    record(store, job_id, 1, 0.5)
    seen = cache.chunks(store, job_id)
    assert reads == [(job_id, 1)] and set(seen) == {0, 1}
    changed = record(store, job_id, 0, 0.75)
    assert cache.chunks(store, job_id)[0].terms_done == changed.terms_done
    assert reads == [(job_id, 1), (job_id, 0)]


def test_running_needs_the_token_when_reads_do(state_dir: Path) -> None:
    settings = Settings(state_dir=state_dir, api_token=TOKEN, api_token_reads=True)
    with TestClient(create_app(settings)) as client:
        assert client.get("/running").status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/running", headers=auth).status_code == 200


def test_the_cache_keeps_the_jobs_read_most_recently(state_dir: Path, client: TestClient) -> None:
    store = JobStore(state_dir)
    jobs = [submit(client, 7) for _ in range(3)]
    for job_id in jobs:
        record(store, job_id, 0, 0.5)
    cache = ChunkCache(max_jobs=2)
    for job_id in [jobs[0], jobs[1], jobs[0], jobs[2]]:
        cache.chunks(store, job_id)
    assert len(cache) == 2
    reads = count_reads(store)
    cache.chunks(store, jobs[0])
    cache.chunks(store, jobs[2])
    assert reads == []
    cache.chunks(store, jobs[1])  # the least recently read went first
    assert reads == [(jobs[1], 0)]


def test_every_view_of_a_job_follows_its_checkpoints(state_dir: Path, client: TestClient) -> None:
    store = JobStore(state_dir)
    job_id = submit(client, 7)
    seen = []
    for share in (0.25, 0.75):
        done = record(store, job_id, 0, share).terms_done
        task = client.get(f"/tasks/{job_id}").json()
        [chunk] = [
            c for c in client.get(f"/tasks/{job_id}/chunks").json()["chunks"] if c["index"] == 0
        ]
        [running] = client.get("/running").json()["jobs"]
        assert chunk["terms_done"] == done == task["progress"]["terms_done"]
        assert running["terms_done"] == done and task["status"] == "PROGRESS"
        seen.append(task["progress"]["percent"])
    assert seen[0] < seen[1]


def test_the_running_jobs_stay_cached_however_many_others_are_read(
    state_dir: Path, method_env: MethodEnv
) -> None:
    """A listing reads finished jobs directly: it does not push the running ones out of the
    cache, which the app sizes for the unfinished jobs it admits (here 1, so 9 jobs)."""
    method_env(PICHORD_KERNEL_TERMS_PER_SECOND="1e6")
    settings = Settings(state_dir=state_dir, max_pending_jobs=1)
    store = JobStore(state_dir)
    with TestClient(create_app(settings)) as client:
        finished = []
        for _ in range(10):
            finished.append(submit(client, 7))
            record(store, finished[-1], 0, 0.5)
            assert client.delete(f"/tasks/{finished[-1]}").status_code == 200
        running = submit(client, 7)
        record(store, running, 0, 0.5)
        client.get("/running")
        reads = count_reads(client.app.state.store)  # type: ignore[attr-defined]
        assert len(client.get("/tasks", params={"limit": 100}).json()["tasks"]) == 11
        [job] = client.get("/running").json()["jobs"]
    assert job["id"] == running and job["terms_done"] > 0
    assert {job_id for job_id, _ in reads} == set(finished)
