"""/ready and /workers against real workers on the real RabbitMQ."""

from pathlib import Path

import httpx2

from tests.integration.conftest import Processes, poll_until_finished, service_env


def test_ready_and_workers_follow_the_real_workers(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    processes.env = service_env(
        tmp_path / "state", rabbitmq_url, queue=f"q-{tmp_path.name}", workers_cache_seconds="0"
    )
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        not_ready = client.get("/ready")
        assert not_ready.status_code == 503 and not_ready.json()["failing"] == ["workers"]
        first = processes.worker("w1", concurrency=2)
        second = processes.worker("w2", concurrency=1)
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.json()
        workers = {w["name"].split("@")[0]: w for w in client.get("/workers").json()["workers"]}
        assert set(workers) == {"w1", "w2"}
        assert workers["w1"]["pid"] == first.pid and workers["w2"]["pid"] == second.pid
        assert workers["w1"]["concurrency"] == 2 and workers["w2"]["concurrency"] == 1
        assert len(workers["w1"]["load_average"]) == 3
        job = client.get("/leibnic/5").json()["id"]
        assert poll_until_finished(client, job, timeout=60)[-1]["status"] == "SUCCESS"
        listing = client.get("/workers").json()
        processed = sum(w["processed"].get("pichord.lane", 0) for w in listing["workers"])
        assert processed >= 1 and listing["queue_depth"] == 0
