"""Kill things under the real supervisord mid-job; the job still ends with the right digits.
Each test prints how long recovery took."""

import os
import signal
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx2
import psutil
import pytest

from pipeline.verify import reference_digits
from storage import ChunkRecord, JobStore
from tests.integration.conftest import PICHORD, Supervisord, poll_until_finished, wait_for
from tests.integration.kernel_speed import chunk_settings
from tests.integration.pool_pause import paused_mid_chunk

# ~1e11 terms: seconds of work on two cores. Each test holds the job mid-chunk by stopping the
# worker's pool (held_mid_chunk), so the job is interrupted however fast the kernel runs.
DIGITS = 10


@pytest.fixture(params=["rabbitmq", "embedded"])
def service(request: pytest.FixtureRequest, supervisord: Supervisord) -> Iterator[Supervisord]:
    supervisord.env.update(
        PICHORD_QUEUE=f"q-{supervisord.state.parent.name}",
        PICHORD_WORKER_CONCURRENCY="2",
    )
    # Ten chunks of 1e10 terms: more than the pool computes at once, so a warm shutdown
    # leaves the job unfinished.
    supervisord.env.update(
        {f"PICHORD_{k.upper()}": v for k, v in chunk_settings(1e10, seconds=0.5).items()}
    )
    if request.param == "rabbitmq":
        supervisord.env["PICHORD_BROKER_URL"] = request.getfixturevalue("rabbitmq_url")
    else:
        # Lost messages come back through the stall sweep, made quick here.
        supervisord.env.update(PICHORD_JOB_STALL_SECONDS="3", PICHORD_WATCHDOG_SECONDS="0.5")
    supervisord.start()
    yield supervisord


def broker(run: Supervisord) -> str:
    return "rabbitmq" if "PICHORD_BROKER_URL" in run.env else "embedded"


def report(figure: Callable[[str], None], what: str, seconds: float) -> None:
    figure(f"[recovery] {what}: {seconds:.1f} s")


def submit(client: httpx2.Client) -> str:
    job_id: str = client.get(f"/leibnic/{DIGITS}").json()["id"]
    return job_id


@contextmanager
def held_mid_chunk(run: Supervisord, job_id: str) -> Iterator[ChunkRecord]:
    """Inside the block the worker's pool is stopped with one of the job's chunks mid-run
    (its record is yielded): the job can neither progress nor finish."""
    with paused_mid_chunk(JobStore(run.state), job_id, worker_pid(run)) as record:
        yield record


def worker_pid(run: Supervisord) -> int:
    with xmlrpc.client.ServerProxy(run.rpc_url()) as rpc:
        info = rpc.supervisor.getProcessInfo("worker")
    # STARTING counts too: the process is up, supervisord just has not waited startsecs yet.
    assert isinstance(info, dict) and info["statename"] in ("STARTING", "RUNNING")
    return int(info["pid"])


def assert_digits(client: httpx2.Client, job_id: str) -> None:
    final = poll_until_finished(client, job_id, timeout=300)[-1]
    assert final["status"] == "SUCCESS", final
    assert final["result"] == reference_digits(DIGITS) and final["verified"] is True


def terms_done(client: httpx2.Client, job_id: str) -> int:
    return int(client.get(f"/tasks/{job_id}").json()["progress"]["terms_done"])


def test_kill_pool_child(service: Supervisord, figure: Callable[[str], None]) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit(client)
        store = JobStore(service.state)
        with held_mid_chunk(service, job_id) as record:
            os.kill(record.pid, signal.SIGKILL)  # type: ignore[arg-type]
        killed = time.monotonic()
        wait_for(
            lambda: (store.get_chunk(job_id, record.index) or record).attempts > record.attempts,
            60,
            "the chunk to run again",
        )
        report(
            figure,
            f"{broker(service)}: pool child kill -9 -> chunk running again",
            time.monotonic() - killed,
        )
        assert_digits(client, job_id)


def test_kill_worker_main(service: Supervisord, figure: Callable[[str], None]) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit(client)
        old = worker_pid(service)
        with held_mid_chunk(service, job_id):
            before = terms_done(client, job_id)
            os.kill(old, signal.SIGKILL)  # its pool processes die with it, stopped or not
        killed = time.monotonic()

        def restarted_and_progressing() -> bool:
            try:
                return worker_pid(service) != old and terms_done(client, job_id) > before
            except AssertionError:
                return False

        wait_for(restarted_and_progressing, 90, "supervisord to restart the worker", interval=0.2)
        report(
            figure,
            f"{broker(service)}: worker main kill -9 -> restarted and checkpointing",
            time.monotonic() - killed,
        )
        assert_digits(client, job_id)


@pytest.mark.parametrize("service", ["rabbitmq"], indirect=True)
def test_restart_api_mid_job(service: Supervisord, figure: Callable[[str], None]) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit(client)
        with held_mid_chunk(service, job_id):
            before = terms_done(client, job_id)
            started = time.monotonic()
            restarted = service.ctl("restart", "api:*").stdout
            assert "api:api-0: started" in restarted and "api:api-1: started" in restarted

            def answering() -> bool:
                try:
                    return client.get(f"/tasks/{job_id}").status_code == 200
                except httpx2.TransportError:
                    return False

            wait_for(answering, 60, "the API to answer again")
            report(figure, "supervisorctl restart api -> polling again", time.monotonic() - started)
            # nothing lost: progress lives in the store
            assert terms_done(client, job_id) >= before
        assert_digits(client, job_id)


@pytest.mark.parametrize("service", ["rabbitmq"], indirect=True)
def test_sigterm_supervisord_then_start_again(
    service: Supervisord, figure: Callable[[str], None]
) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit(client)
    assert service.proc is not None
    worker_log = service.state / "logs" / "worker.log"
    with held_mid_chunk(service, job_id):
        seen = worker_log.stat().st_size
        started = time.monotonic()
        service.proc.send_signal(signal.SIGTERM)
        # The pool goes on only once the worker takes no more chunks: those it holds finish.
        wait_for(
            lambda: b"Warm shutdown" in worker_log.read_bytes()[seen:],
            60,
            "the worker to begin its warm shutdown",
        )
    assert service.proc.wait(timeout=90) == 0
    report(figure, "SIGTERM supervisord -> warm shutdown complete", time.monotonic() - started)
    assert JobStore(service.state).get(job_id).status.value == "WAITING"  # not finished, not lost
    finish_after_restart(service, job_id, figure, "supervisord started again")


def test_sigkill_supervisord_then_serve_again(
    service: Supervisord, figure: Callable[[str], None]
) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit(client)
    assert service.proc is not None
    with held_mid_chunk(service, job_id):
        tree = service.tree()
        # supervisord, listener, 2 uvicorn, beat, celery main, 2 pool processes
        assert len(tree) >= 8
        service.proc.kill()  # what the OOM killer or a CI timeout does: nothing can be cleaned up
        killed = time.monotonic()
        service.proc.wait(timeout=10)
        # Stopped pool processes too: the kernel's SIGKILL reaches them all the same.
        wait_for(lambda: not any(map(alive, tree)), 10, "every process of the instance to end")
    report(
        figure,
        f"{broker(service)}: SIGKILL supervisord -> no process of it left",
        time.monotonic() - killed,
    )
    # The same state dir: its lock went with the killed supervisord.
    finish_after_restart(
        service, job_id, figure, f"{broker(service)}: pichord serve again", str(PICHORD), "serve"
    )


def finish_after_restart(
    run: Supervisord, job_id: str, figure: Callable[[str], None], what: str, *command: str
) -> None:
    """Start ``run`` again (by ``command``); the job ends SUCCESS with mpmath's digits."""
    run.start(*command)
    with httpx2.Client(base_url=run.api, timeout=10) as client:
        restarted = time.monotonic()
        assert_digits(client, job_id)
        report(figure, f"{what} -> job SUCCESS", time.monotonic() - restarted)


def alive(process: psutil.Process) -> bool:
    """Running: a zombie has ended and holds nothing, it only waits for a parent to reap it."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
