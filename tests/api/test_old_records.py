"""Records written by commit 21f3632 read as that commit's API showed them, and its running
jobs finish under today's code."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config import Settings
from pipeline.methods import method_named
from pipeline.verify import reference_digits
from storage import JobStatus, JobStore
from tests.api.method_jobs import PROCESSES, run_round

FIXTURES = Path(__file__).parents[1] / "fixtures" / "records_21f3632"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "answers.json").read_text())
JOBS = sorted(key for key in ANSWERS if key != "listing")
# Fields of a task the API has gained since that commit; every other field must be as it was.
ADDED_SINCE = ("owner", "digits_url")


def as_then(task: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in task.items() if key not in ADDED_SINCE}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "state", state)
    return Settings(state_dir=state, broker_url=None, result_backend=None)


@pytest.mark.parametrize("name", JOBS)
def test_a_job_reads_as_it_did(client: TestClient, name: str) -> None:
    old = ANSWERS[name]
    assert as_then(client.get(f"/tasks/{old['id']}").json()) == old["task"]
    assert client.get(f"/tasks/{old['id']}/chunks").json() == old["chunks"]
    assert client.get(f"/tasks/{old['id']}/convergence").json() == old["convergence"]


def test_the_listing_reads_as_it_did(client: TestClient) -> None:
    listing = client.get("/tasks", params={"limit": 500}).json()
    listing["tasks"] = [as_then(task) for task in listing["tasks"]]
    assert listing == ANSWERS["listing"]


@pytest.mark.parametrize("name", [job for job in JOBS if job.endswith("-running")])
def test_a_running_job_finishes(settings: Settings, name: str) -> None:
    store = JobStore(settings.state_dir)
    job = store.get(ANSWERS[name]["id"])
    while not job.status.finished:
        run_round(settings, job)
        method_named(job.method).reduce(settings, store, job.id, lambda: PROCESSES)
        job = store.get(job.id)
    assert job.status is JobStatus.SUCCESS and job.verified is True
    assert store.digits(store.get(job.id)) == reference_digits(job.digits)
