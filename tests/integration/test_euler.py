"""leibniz-euler through the real chord on RabbitMQ: digits, certificate, progress, cache."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path

import httpx2
import pytest

from pipeline.methods.leibniz_euler.models import EulerChunk
from pipeline.verify import reference_digits
from storage import JobStore
from storage.layout import StateLayout
from storage.records import ChunkKind
from tests.integration.conftest import Processes, poll_until_finished, service_env
from tests.integration.pool_pause import paused_when


@dataclass
class Service:
    client: httpx2.Client
    state: Path
    processes: Processes

    def run(self, digits: int, client: httpx2.Client | None = None) -> dict[str, object]:
        client = client or self.client
        created = client.post("/tasks", json={"method": "leibniz-euler", "digits": digits})
        assert created.status_code == 202, created.text
        final = poll_until_finished(client, created.json()["id"], timeout=180)[-1]
        assert final["status"] == "SUCCESS", final
        return final

    def correction_record(self, job_id: str) -> dict[str, object]:
        store = JobStore(self.state)
        job = store.get(job_id)
        spec = next(
            s for s in job.chunks if s.kind is ChunkKind.CORRECTION and s.round == job.rounds
        )
        record = store.get_chunk(job_id, spec.index)
        assert record is not None
        return EulerChunk.of(record).model_dump()


@pytest.fixture
def service(tmp_path: Path, rabbitmq_url: str) -> Iterator[Service]:
    state = tmp_path / "state"
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Processes(
        env=service_env(
            state,
            rabbitmq_url,
            queue=f"q-{tmp_path.name}",
            worker_concurrency="2",
            # Short chunks so even small jobs are split over both processes.
            chunk_seconds="0.05",
        ),
        logs=logs,
    )
    try:
        processes.worker("w1")
        with httpx2.Client(base_url=processes.api(), timeout=30) as client:
            yield Service(client, state, processes)
    finally:
        processes.stop_all()


def test_digits_equal_mpmath_with_a_certificate(service: Service) -> None:
    # 761..767: the Feynman point, six 9s from decimal 762.
    wanted = [0, 1, 50, 100, *range(761, 768), 1000, 5000]
    ids = {}
    for n in wanted:
        response = service.client.post("/tasks", json={"method": "leibniz-euler", "digits": n})
        ids[n] = response.json()["id"]
    for n, job_id in ids.items():
        final = poll_until_finished(service.client, job_id, timeout=180)[-1]
        assert final["status"] == "SUCCESS", final
        assert final["result"] == reference_digits(n)
        assert final["verified"] is True
        certificate = final["certificate"]
        assert isinstance(certificate, dict)
        assert certificate["terms"] % 2 == 0 and certificate["correction_terms"] > 0
        assert certificate["precision"] > n
        assert "e-" in certificate["remainder_bound"]
        assert certificate["lower"].startswith(str(final["result"]))
        with localcontext() as exact:
            exact.prec = n + 50
            lower, upper = Decimal(certificate["lower"]), Decimal(certificate["upper"])
            assert lower < upper < lower + Decimal(10) ** -n
    chunks = service.client.get(f"/tasks/{ids[5000]}/chunks").json()["chunks"]
    assert [c["kind"] for c in chunks].count("correction") == 1
    assert len({c["worker"] for c in chunks}) == 1 and len(chunks) > 2


def test_digits_download_streams_the_result(service: Service) -> None:
    final = service.run(2000)
    response = service.client.get(f"/tasks/{final['id']}/digits")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="pi-2000-{final["id"]}.txt"'
    )
    assert response.text == f"{final['result']}\n"


def test_progress_is_monotone_and_intermediate_is_a_certified_prefix(service: Service) -> None:
    created = service.client.post("/tasks", json={"method": "leibniz-euler", "digits": 8000})
    job_id = created.json()["id"]
    last: list[dict[str, object]] = []

    def intermediate_shown() -> bool:
        body = service.client.get(f"/tasks/{job_id}").json()
        last[:] = [body]
        return body["status"] == "PROGRESS" and bool(body["result"]["intermediate"])

    # Read once more with the worker held: an intermediate value is seen before the job
    # finishes, however fast the CPU.
    (worker,) = service.processes.workers
    with paused_when(worker.pid, intermediate_shown, "an intermediate value", timeout=180):
        seen = [*last]
    seen += poll_until_finished(service.client, job_id, timeout=180)
    final = seen[-1]
    assert final["status"] == "SUCCESS", final
    percents = [s["progress"]["percent"] for s in seen]  # type: ignore[index]
    assert percents == sorted(percents) and percents[-1] == 100.0
    prefixes = [
        s["result"]["intermediate"]  # type: ignore[index]
        for s in seen
        if s["status"] == "PROGRESS" and s["result"]["intermediate"]  # type: ignore[index]
    ]
    assert prefixes, "no intermediate value was seen while the job ran"
    for prefix in prefixes:
        assert str(final["result"]).startswith(prefix)
    # A prefix of the series with a short tail correction already fixes many digits.
    assert max(len(p) for p in prefixes) > 100


def test_euler_numbers_are_cached_and_a_damaged_cache_is_rebuilt(service: Service) -> None:
    first = service.run(3000)
    assert service.correction_record(str(first["id"]))["euler_computed"] is True
    second = service.run(2500)  # needs fewer Euler numbers than the first stored
    assert service.correction_record(str(second["id"]))["euler_computed"] is False

    cache = StateLayout(service.state).cache / "secant_numbers.txt"
    data = bytearray(cache.read_bytes())
    data[-5] = ord("0") if data[-5] != ord("0") else ord("1")
    cache.write_bytes(bytes(data))
    third = service.run(2500)
    assert third["result"] == reference_digits(2500)
    assert service.correction_record(str(third["id"]))["euler_computed"] is True
    fourth = service.run(2500)
    assert service.correction_record(str(fourth["id"]))["euler_computed"] is False


def test_a_run_of_nines_past_the_guard_gets_a_second_round(service: Service) -> None:
    # Without guard digits, the six 9s after decimal 761 cannot be settled in one round.
    unguarded = service.processes.api(euler_guard_digits="0")
    with httpx2.Client(base_url=unguarded, timeout=30) as client:
        final = service.run(761, client)
    assert final["result"] == reference_digits(761)
    assert final["certificate"]["rounds"] == 2  # type: ignore[index]
    chunks = service.client.get(f"/tasks/{final['id']}/chunks").json()["chunks"]
    assert {c["round"] for c in chunks} == {1, 2}
