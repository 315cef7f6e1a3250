"""Workers in separate containers share only the broker and the state volume; three worker
processes with their own node names stand in for three containers. A job gets one lane per
worker process consuming the queue, so one job spreads over all of them."""

from pathlib import Path

import httpx2

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env


def test_three_workers_share_one_job(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    processes.env = service_env(
        tmp_path / "state",
        rabbitmq_url,
        queue=f"q-{tmp_path.name}",
        chunk_seconds="0.05",
        worker_concurrency="1",
    )
    for name in ("c1", "c2", "c3"):
        processes.worker(name, concurrency=1)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get("/leibnic/10").json()["id"]
        final = poll_until_finished(client, job_id, timeout=240)[-1]
        assert final["status"] == "SUCCESS" and final["result"] == reference_digits(10)
        chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
    nodes = {str(c["worker"]).split("@")[0] for c in chunks}
    assert nodes == {"c1", "c2", "c3"}
    lanes = {r.task_id for r in JobStore(tmp_path / "state").chunks(job_id).values()}
    assert len(lanes) == 3
