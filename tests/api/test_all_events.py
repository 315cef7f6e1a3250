"""GET /events: every unfinished job's status changes and progress, for the dashboard."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.routes import events as events_route
from api.schemas.tasks import TaskPublic
from config import Settings
from storage import ChunkRecord, JobStore
from tests.api.event_streams import Event, events
from tests.api.finishing import finish
from tests.conftest import JobFactory


def named(event: Event) -> tuple[str, str, str]:
    return event["event"], event["data"]["id"], event["data"]["status"]


def test_every_job_s_changes_come_in_one_stream(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    store = JobStore(settings.state_dir)
    first, second = new_job(), new_job()
    stream = events(client, "/events")
    # The present status of every unfinished job comes first.
    opening = {named(next(stream)), named(next(stream))}
    assert opening == {("status", first.id, "WAITING"), ("status", second.id, "WAITING")}
    # Each change is made once the event of the one before has arrived.
    store.save_chunk(first.id, ChunkRecord(index=0, start=0, stop=60, terms_done=10))
    assert named(next(stream)) == ("status", first.id, "PROGRESS")
    store.save_chunk(first.id, ChunkRecord(index=0, start=0, stop=60, terms_done=30))
    progress = next(stream)
    assert named(progress) == ("progress", first.id, "PROGRESS")
    assert progress["data"]["progress"]["terms_done"] == 30
    finish(store, first)
    assert named(next(stream)) == ("status", first.id, "SUCCESS")
    third = new_job()
    assert named(next(stream)) == ("status", third.id, "WAITING")
    stream.close()


def test_a_resumed_stream_gets_what_happened_meanwhile_once(
    client: TestClient, settings: Settings, new_job: JobFactory
) -> None:
    store = JobStore(settings.state_dir)
    waiting, ending = new_job(), new_job()
    stream = events(client, "/events")
    seen = [next(stream), next(stream)]
    stream.close()
    finish(store, ending)
    resumed = events(client, "/events", **{"Last-Event-ID": seen[-1]["id"]})
    event = next(resumed)
    # The ending it missed, and nothing about the job that did not change.
    assert named(event) == ("status", ending.id, "SUCCESS")
    assert int(event["id"]) > int(seen[-1]["id"])
    finish(store, waiting)
    assert named(next(resumed)) == ("status", waiting.id, "SUCCESS")
    resumed.close()


def test_a_job_ending_while_a_resumed_stream_starts_is_not_missed(
    client: TestClient, settings: Settings, new_job: JobFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job ends right after the stream listed what ended meanwhile. Listed before the
    # unfinished jobs were followed, it was in neither, and the stream never told of it.
    store = JobStore(settings.state_dir)
    waiting = new_job()
    stream = events(client, "/events")
    seen = next(stream)
    stream.close()
    listed = events_route._ended_since

    def listed_then_ended(*args: Any) -> list[TaskPublic]:
        found = listed(*args)
        finish(store, waiting)
        return found

    monkeypatch.setattr(events_route, "_ended_since", listed_then_ended)
    resumed = events(client, "/events", **{"Last-Event-ID": seen["id"]})
    assert named(next(resumed)) == ("status", waiting.id, "SUCCESS")
    resumed.close()


def test_a_foreign_event_id_is_refused(client: TestClient) -> None:
    response = client.get("/events", headers={"Last-Event-ID": "-5"})
    assert response.status_code == 422 and "Last-Event-ID" in response.text
