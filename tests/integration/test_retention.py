"""Celery beat sends the cleanup; a worker removes finished jobs past retention."""

from pathlib import Path

import httpx2

from storage.layout import StateLayout
from tests.integration.conftest import (
    Processes,
    poll_until_finished,
    rabbitmq_service_env,
    wait_for,
)


def test_beat_removes_finished_jobs_past_retention(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    state, processes.env = rabbitmq_service_env(
        tmp_path,
        rabbitmq_url,
        retention_days=str(2 / 86400),  # two seconds
        cleanup_seconds="1",
    )
    processes.worker("w1", concurrency=1)
    processes.beat(tmp_path / "beat-schedule")
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get("/leibnic/3").json()["id"]
        assert poll_until_finished(client, job_id, timeout=60)[-1]["status"] == "SUCCESS"
        wait_for(
            lambda: client.get(f"/tasks/{job_id}").status_code == 404,
            30,
            "the finished job to be removed",
            interval=0.2,
        )
        assert client.get("/tasks").json()["total"] == 0
    results = StateLayout(state).results
    assert not any(job_id in p.name for p in results.rglob("*"))
    assert "pichord.cleanup" in (tmp_path / "logs" / "worker-w1.log").read_text()
