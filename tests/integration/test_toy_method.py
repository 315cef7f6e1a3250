"""A method kept outside the package, registered by a module the API and the worker import
at start (PICHORD_METHOD_MODULES), runs through the real chord on RabbitMQ."""

from pathlib import Path

import httpx2

from pipeline.verify import reference_digits
from tests.integration.conftest import Processes, poll_until_finished, rabbitmq_service_env

REGISTRATION = "tests.pipeline.methods.toy.registration"


def test_a_toy_method_runs_to_success_with_its_own_data(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    _, processes.env = rabbitmq_service_env(tmp_path, rabbitmq_url, method_modules=REGISTRATION)
    processes.worker("w1", concurrency=2)
    with httpx2.Client(base_url=processes.api(), timeout=30) as client:
        created = client.post("/tasks", json={"method": "toy-machin", "digits": 300})
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        final = poll_until_finished(client, job_id, timeout=60)[-1]
        assert final["status"] == "SUCCESS", final
        assert final["result"] == reference_digits(300) and final["verified"] is True
        assert final["certificate"]["formula"] == "16 atan(1/5) - 4 atan(1/239)"
        chunks = client.get(f"/tasks/{job_id}/chunks").json()["chunks"]
        assert [chunk["arctan_of"] for chunk in chunks] == [5, 239]
        assert all(chunk["worker"].startswith("w1@") for chunk in chunks)
