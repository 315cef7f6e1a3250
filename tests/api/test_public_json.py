"""The JSON clients and the dashboard read, pinned field for field for a job of each method.

The expected answers in ``public_json/`` were recorded from the API before methods owned their
data; ids, times, worker names and durations are replaced by placeholders on both sides.
Set PICHORD_RECORD_PUBLIC_JSON=1 to write them again (then review the diff).
"""

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config import Settings
from tests.api.method_jobs import DIGITS, finished_job, planned_job, run_round

EXPECTED = Path(__file__).parent / "public_json"
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_VOLATILE = {"worker": "<worker>", "euler_seconds": "<seconds>"}


def normalised(value: Any, job_id: str) -> Any:
    """``value`` with the job's id, times and per-run figures replaced by placeholders."""
    if isinstance(value, dict):
        return {
            key: _VOLATILE[key]
            if key in _VOLATILE and item is not None
            else normalised(item, job_id)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [normalised(item, job_id) for item in value]
    if isinstance(value, str):
        return "<time>" if _TIME.match(value) else value.replace(job_id, "<id>")
    return value


def answers(client: TestClient, job_id: str) -> dict[str, Any]:
    """Everything the API says of one job, as clients read it."""
    listed = client.get("/tasks", params={"limit": 500}).json()["tasks"]
    return normalised(
        {
            "task": client.get(f"/tasks/{job_id}").json(),
            "listed": next(task for task in listed if task["id"] == job_id),
            "chunks": client.get(f"/tasks/{job_id}/chunks").json(),
            "convergence": client.get(f"/tasks/{job_id}/convergence").json(),
        },
        job_id,
    )


def check(name: str, got: dict[str, Any]) -> None:
    path = EXPECTED / f"{name}.json"
    if os.environ.get("PICHORD_RECORD_PUBLIC_JSON") == "1":
        path.write_text(json.dumps(got, indent=1) + "\n")
    expected = json.loads(path.read_text())
    assert got == expected
    # Field order too: a client printing the JSON sees the same text.
    assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("method", sorted(DIGITS))
def test_a_finished_job(client: TestClient, settings: Settings, method: str) -> None:
    job = finished_job(settings, method)
    check(f"{method}-finished", answers(client, job.id))


@pytest.mark.parametrize("method", sorted(DIGITS))
def test_a_running_job(client: TestClient, settings: Settings, method: str) -> None:
    job = planned_job(settings, method)
    run_round(settings, job, first_only=True)
    check(f"{method}-running", answers(client, job.id))
