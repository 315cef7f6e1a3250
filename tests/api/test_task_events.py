"""GET /tasks/{id}/events: status, progress and end events, keepalives, and resuming."""

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api import event_stream
from api.job_watcher import JobWatcher
from config import Settings
from storage import ChunkRecord, JobStatus, JobStore
from tests.api.event_streams import Event
from tests.api.event_streams import events as stream_of
from tests.api.finishing import finish
from tests.conftest import JobFactory


def events(client: TestClient, job_id: str, **headers: str) -> Iterator[Event]:
    return stream_of(client, f"/tasks/{job_id}/events", **headers)


def when_streamed(client: TestClient, action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` on a thread once a stream watches a job."""
    watcher: JobWatcher = client.app.state.watcher  # type: ignore[attr-defined]

    def run() -> None:
        while watcher.watched == 0:
            time.sleep(0.005)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def chunk(index: int, done: int) -> ChunkRecord:
    start, stop = (0, 60) if index == 0 else (60, 100)
    return ChunkRecord(index=index, start=start, stop=stop, terms_done=done)


def test_a_job_streams_its_status_progress_and_end(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    store = JobStore(settings.state_dir)
    job = new_job()
    stream = events(client, job.id)
    # Each change is made once the event of the one before has arrived.
    seen = [next(stream)]
    for done in (10, 20, 30):
        store.save_chunk(job.id, chunk(0, done))
        seen.append(next(stream))
    finish(store, job)
    seen.extend(stream)
    assert [e["event"] for e in seen] == [
        "status",
        "status",
        "progress",
        "progress",
        "status",
        "end",
    ]
    assert [e["data"]["status"] for e in seen] == [
        "WAITING",
        "PROGRESS",
        "PROGRESS",
        "PROGRESS",
        "SUCCESS",
        "SUCCESS",
    ]
    assert [e["data"]["progress"]["terms_done"] for e in seen[1:4]] == [10, 20, 30]
    ids = [int(e["id"]) for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # Progress at most every 0.5 s: the ids carry the time each event was sent.
    sent = [event_id // 10 for event_id in ids[1:4]]
    assert all(b - a >= 500 for a, b in itertools.pairwise(sent))
    assert "result" not in seen[-1]["data"]


def test_a_resumed_stream_repeats_nothing(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    job = new_job()
    stream = events(client, job.id)
    first = next(stream)
    stream.close()
    assert first["event"] == "status" and first["data"]["status"] == "WAITING"
    worker = when_streamed(client, lambda: finish(JobStore(settings.state_dir), job))
    resumed = [e for e in events(client, job.id, **{"Last-Event-ID": first["id"]})]
    worker.join()
    assert [e.get("event") for e in resumed] == ["status", "end"]
    assert resumed[0]["data"]["status"] == "SUCCESS"
    assert all(int(e["id"]) > int(first["id"]) for e in resumed)
    # Resumed after the end: nothing is left to send, and the stream closes at once.
    assert list(events(client, job.id, **{"Last-Event-ID": resumed[-1]["id"]})) == []


def test_a_quiet_stream_sends_keepalives(
    client: TestClient, new_job: JobFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_stream, "KEEPALIVE_SECONDS", 0.05)
    stream = events(client, new_job().id)
    assert next(stream)["event"] == "status"
    assert next(stream) == {"comment": "keepalive"}
    stream.close()


def test_unknown_jobs_and_foreign_event_ids_are_refused(
    client: TestClient, new_job: JobFactory
) -> None:
    unknown = client.get("/tasks/0f0e0d0c-0b0a-4908-8706-050403020100/events")
    assert unknown.status_code == 404
    job = new_job(status=JobStatus.REVOKED)
    bad = client.get(f"/tasks/{job.id}/events", headers={"Last-Event-ID": "yesterday"})
    assert bad.status_code == 422 and "Last-Event-ID" in bad.text
