"""A job that ended with its final progress is rendered once per version of its record
(api/answer_cache.py). That the cached bytes are the answer FastAPI renders for TaskPublic is
pinned by tests/api/test_public_json.py, whose finished jobs are read through the cache."""

import shutil
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.progress
import api.reading
from api.answer_cache import AnswerCache
from config import Settings
from pipeline.jobs import cancel
from storage import ChunkRecord, JobStatus, JobStore
from tests.api.finishing import finish
from tests.conftest import JobFactory


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A list that grows by one each time the API renders a task from its files."""
    renders: list[object] = []
    task_public = api.progress.task_public

    def counted(*args: Any, **kwargs: Any) -> Any:
        renders.append(args)
        return task_public(*args, **kwargs)

    monkeypatch.setattr(api.reading, "task_public", counted)
    return renders


def test_answers_beyond_the_budget_go_least_recently_read_first() -> None:
    answers = AnswerCache(max_bytes=100)
    for name in ("a", "b", "c"):
        answers.put(name, (1, 1, 40), name.encode() * 40)
    assert answers.get("a", (1, 1, 40)) is None  # 120 bytes: the oldest went
    assert answers.get("b", (1, 1, 40)) == b"b" * 40
    answers.put("d", (1, 1, 40), b"d" * 40)  # "b" was just read: "c" goes
    assert answers.get("c", (1, 1, 40)) is None and answers.get("b", (1, 1, 40)) is not None
    assert answers.get("b", (2, 1, 40)) is None  # another version of the record
    answers.put("huge", (1, 1, 101), b"x" * 101)
    assert answers.get("huge", (1, 1, 101)) is None


def test_a_finished_job_is_rendered_once_until_its_record_changes(
    client: TestClient, settings: Settings, new_job: JobFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore(settings.state_dir)
    job = new_job(method="leibniz", digits=3)
    finish(store, job)
    renders = count_renders(monkeypatch)
    first = client.get(f"/tasks/{job.id}")
    again = client.get(f"/tasks/{job.id}")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and len(renders) == 1
    assert again.headers["content-type"] == "application/json"
    assert first.json()["status"] == "SUCCESS" and first.json()["result"] == "3.141"
    assert first.json()["verified"] is True

    # A record rewritten after the end (here: its verification undone) is rendered again.
    store.update(job.id, lambda current: current.model_copy(update={"verified": None}))
    changed = client.get(f"/tasks/{job.id}").json()
    assert len(renders) == 2 and "verified" not in changed

    shutil.rmtree(store.layout.jobs / job.id)  # removed, as retention does
    assert client.get(f"/tasks/{job.id}").status_code == 404


def test_a_running_job_is_rendered_on_every_read(
    client: TestClient, settings: Settings, new_job: JobFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = new_job(method="leibniz", digits=3)
    renders = count_renders(monkeypatch)
    for _ in range(2):
        assert client.get(f"/tasks/{job.id}").json()["status"] == "WAITING"
    assert len(renders) == 2


def test_a_cancelled_job_is_read_with_its_chunks_which_still_change(
    client: TestClient, settings: Settings, new_job: JobFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore(settings.state_dir)
    job = new_job(method="leibniz", digits=3)
    spec = job.chunks[0]
    store.save_chunk(job.id, ChunkRecord(index=0, start=spec.start, stop=spec.stop, terms_done=1))
    cancel(store, job.id)
    renders = count_renders(monkeypatch)
    before = client.get(f"/tasks/{job.id}").json()
    # Its running chunk stops at its next checkpoint, after the record says REVOKED.
    stopped = ChunkRecord(
        index=0, start=spec.start, stop=spec.stop, terms_done=2, status=JobStatus.REVOKED
    )
    store.save_chunk(job.id, stopped)
    after = client.get(f"/tasks/{job.id}").json()
    assert before["status"] == after["status"] == "REVOKED" and len(renders) == 2
    assert (before["progress"]["terms_done"], after["progress"]["terms_done"]) == (1, 2)
