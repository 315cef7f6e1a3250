"""leibniz-cf through the real chord on RabbitMQ: digits equal mpmath's with a certificate,
progress, cancel, download, and the cap."""

from collections.abc import Iterator
from decimal import Decimal, localcontext
from pathlib import Path

import httpx2
import pytest

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, rabbitmq_service_env
from tests.integration.pool_pause import paused_mid_chunk

WANTED = [0, 1, 2, 50, *range(761, 768), 1000, 10_000, 100_000]


@pytest.fixture
def client(processes: Processes, rabbitmq_url: str, tmp_path: Path) -> Iterator[httpx2.Client]:
    _, processes.env = rabbitmq_service_env(tmp_path, rabbitmq_url, cf_max_digits="200000")
    processes.worker("w1", concurrency=2)
    with httpx2.Client(base_url=processes.api(), timeout=30) as http:
        yield http


def submit(client: httpx2.Client, digits: int) -> str:
    response = client.post("/tasks", json={"method": "leibniz-cf", "digits": digits})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def test_digits_equal_mpmath_with_a_certificate(client: httpx2.Client) -> None:
    ids = {n: submit(client, n) for n in WANTED}
    for n, job_id in ids.items():
        seen = poll_until_finished(client, job_id, timeout=240)
        final = seen[-1]
        assert final["status"] == "SUCCESS", final
        assert final["result"] == reference_digits(n) and final["verified"] is True
        certificate = final["certificate"]
        assert isinstance(certificate, dict)
        assert certificate["terms"] % 2 == 0 and certificate["depth"] > 0
        assert certificate["precision"] > n and certificate["rounds"] == 1
        bounds = certificate["lower"], certificate["upper"]
        if "bounds_cut" in certificate:
            # Shown rounded outward, still a bracket of pi; the whole ones are downloaded.
            cut = [Decimal(bound) for bound in bounds]
            assert cut[0] < Decimal(reference_digits(60)) < cut[1]
            bounds = tuple(
                client.get(f"/tasks/{job_id}/digits?of={end}").text.strip()
                for end in ("lower", "upper")
            )
            assert bounds[0].startswith(certificate["lower"][:-1])
        with localcontext() as exact:
            exact.prec = n + 50
            lower, upper = Decimal(bounds[0]), Decimal(bounds[1])
            pi_low = Decimal(reference_digits(n + 3))
            assert lower < pi_low + Decimal(10) ** -(n + 3) and upper > pi_low
            assert lower < upper < lower + Decimal(10) ** -n
        percents = [s["progress"]["percent"] for s in seen]  # type: ignore[index]
        assert percents == sorted(percents)
    chunks = client.get(f"/tasks/{ids[100_000]}/chunks").json()["chunks"]
    # Two lanes: mpmath's reference and the depth first, one each; the series fills both.
    assert [c["kind"] for c in chunks] == ["reference", "correction", "series", "series"]
    assert all(c["status"] == "SUCCESS" for c in chunks)
    download = client.get(f"/tasks/{ids[100_000]}/digits")
    assert download.text == reference_digits(100_000) + "\n"
    listed = client.get("/tasks", params={"limit": 100}).json()["tasks"]
    assert len(listed) == len(WANTED) and all("result" not in t for t in listed)


def test_the_cap_names_itself_and_a_cancelled_job_stops(
    client: httpx2.Client, processes: Processes, tmp_path: Path
) -> None:
    refused = client.post("/tasks", json={"method": "leibniz-cf", "digits": 200_001})
    assert refused.status_code == 422
    assert "200000" in refused.text and "PICHORD_CF_MAX_DIGITS" in refused.text
    job_id = submit(client, 200_000)
    (worker,) = processes.workers
    # Cancelled with the worker held mid-chunk: the job is still running, however fast the CPU.
    with paused_mid_chunk(JobStore(tmp_path / "state"), job_id, worker.pid):
        assert client.delete(f"/tasks/{job_id}").json()["status"] == "REVOKED"
    assert poll_until_finished(client, job_id, timeout=60)[-1]["status"] == "REVOKED"
    quick = submit(client, 100)
    assert poll_until_finished(client, quick, timeout=60)[-1]["result"] == reference_digits(100)
