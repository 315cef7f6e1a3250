"""Workers that come and go while a job runs: every worker process takes part in every
running job (lane tickets claim the next chunk wherever they run), so one that joins helps
at once and one that leaves costs at most the chunk it held.

Workers in separate containers share only the broker and the state volume; worker processes
with their own node names stand in for containers. Whatever the kernel's speed, the tests
hold a worker's pool (``pool_pause``) to keep a job running while the others act.
"""

import os
import signal
from pathlib import Path

import httpx2
import pytest

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for
from tests.integration.kernel_speed import chunk_settings
from tests.integration.pool_pause import paused_mid_chunk, pool_paused

# n=10: 9.8e10 terms in chunks of 2e9 (about 0.1 s each on this machine class): 49 chunks.
DIGITS = 10
CHUNK_TERMS = 2e9


def brokers(rabbitmq_url: str, tmp_path: Path, broker: str, **extra: str) -> dict[str, str]:
    url = rabbitmq_url if broker == "rabbitmq" else None
    return service_env(
        tmp_path / "state",
        url,
        queue=f"q-{tmp_path.name}",
        worker_concurrency="1",
        # No stall sweep can help within the test: the lanes alone must carry the job.
        job_stall_seconds="600",
        **chunk_settings(CHUNK_TERMS, seconds=0.1),
        **extra,
    )


def chunks_by_node(state: Path, job_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in JobStore(state).chunks(job_id).values():
        if record.finished:
            node = str(record.worker).split("@")[0]
            counts[node] = counts.get(node, 0) + 1
    return counts


def test_three_workers_share_one_job(
    processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    processes.env = brokers(rabbitmq_url, tmp_path, "rabbitmq")
    for name in ("c1", "c2", "c3"):
        processes.worker(name, concurrency=1)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get(f"/leibnic/{DIGITS}").json()["id"]
        final = poll_until_finished(client, job_id, timeout=240)[-1]
        assert final["status"] == "SUCCESS" and final["result"] == reference_digits(DIGITS)
    assert set(chunks_by_node(tmp_path / "state", job_id)) == {"c1", "c2", "c3"}


@pytest.mark.parametrize("broker", ["rabbitmq", "embedded"])
def test_a_worker_that_joins_mid_job_takes_part_at_once(
    processes: Processes, rabbitmq_url: str, tmp_path: Path, broker: str
) -> None:
    state = tmp_path / "state"
    processes.env = brokers(rabbitmq_url, tmp_path, broker)
    first = processes.worker("c1", concurrency=1)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get(f"/leibnic/{DIGITS}").json()["id"]
        # The only process holds a chunk mid-run: the job was dispatched to it alone, and its
        # next ticket waits in the queue for whoever is free.
        with paused_mid_chunk(JobStore(state), job_id, first.pid, chunks_done=1) as held:
            processes.worker("c2", concurrency=1)
            # The joiner computes the job's chunks while the first worker cannot move.
            wait_for(
                lambda: chunks_by_node(state, job_id).get("c2", 0) >= 3,
                60,
                "the joining worker to compute chunks of the running job",
            )
            assert JobStore(state).get_chunk(job_id, held.index) == held
        final = poll_until_finished(client, job_id, timeout=240)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == reference_digits(DIGITS)
    assert JobStore(state).get(job_id).dispatches == 1
    counts = chunks_by_node(state, job_id)
    assert counts.get("c1", 0) >= 1 and counts.get("c2", 0) >= 3


@pytest.mark.parametrize(
    ("broker", "how"),
    [("rabbitmq", signal.SIGTERM), ("embedded", signal.SIGTERM), ("rabbitmq", signal.SIGKILL)],
)
def test_a_worker_that_leaves_mid_job_costs_it_no_sweep(
    processes: Processes,
    rabbitmq_url: str,
    tmp_path: Path,
    broker: str,
    how: signal.Signals,
) -> None:
    """A warm shutdown (scale-down) finishes its chunk and gives its waiting tickets back; a
    killed worker's chunk and tickets come back from RabbitMQ and resume. Either way the job
    finishes on its first dispatch, with no stall sweep (it is set past the test's end). On
    the embedded broker a killed worker's messages die with it: that case is the sweep's."""
    state = tmp_path / "state"
    processes.env = brokers(rabbitmq_url, tmp_path, broker)
    stays = processes.worker("c1", concurrency=1)
    leaves = processes.worker("c2", concurrency=1)
    store = JobStore(state)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get(f"/leibnic/{DIGITS}").json()["id"]
        # The staying worker is held still, so the job is mid-way whenever the other leaves.
        with pool_paused(stays.pid):
            with paused_mid_chunk(store, job_id, leaves.pid, chunks_done=1) as held:
                if how is signal.SIGKILL:
                    os.killpg(leaves.pid, signal.SIGKILL)
            if how is signal.SIGTERM:
                leaves.send_signal(signal.SIGTERM)
                # A warm shutdown ends the running chunk first.
                assert leaves.wait(60) == 0
                record = store.get_chunk(job_id, held.index)
                assert record is not None and record.finished
            else:
                leaves.wait(30)
        final = poll_until_finished(client, job_id, timeout=240)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == reference_digits(DIGITS)
    assert store.get(job_id).dispatches == 1
    assert chunks_by_node(state, job_id).get("c1", 0) >= 1
