"""Kill things under the real supervisord mid-job; the job still ends with the right digits.
Each test prints how long recovery took."""

import os
import signal
import time
import xmlrpc.client
from collections.abc import Iterator

import httpx2
import psutil
import pytest

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import PICHORD, Supervisord, poll_until_finished, wait_for

DIGITS = 10  # ~1e11 terms: 3-30 s on two cores, long enough to interrupt


@pytest.fixture(params=["rabbitmq", "embedded"])
def service(request: pytest.FixtureRequest, supervisord: Supervisord) -> Iterator[Supervisord]:
    supervisord.env.update(
        PICHORD_QUEUE=f"q-{supervisord.state.parent.name}",
        PICHORD_CHUNK_SECONDS="0.5",
        # Chunks of 1e10 terms, whatever the kernel's speed here (5-16 G terms/s seen):
        # long enough to catch one mid-run.
        PICHORD_KERNEL_TERMS_PER_SECOND="2e10",
        PICHORD_WORKER_CONCURRENCY="2",
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


def report(capsys: pytest.CaptureFixture[str], what: str, seconds: float) -> None:
    with capsys.disabled():
        print(f"\n[recovery] {what}: {seconds:.1f} s")


def submit_and_wait_for_progress(client: httpx2.Client) -> str:
    job_id: str = client.get(f"/leibnic/{DIGITS}").json()["id"]
    wait_for(
        lambda: client.get(f"/tasks/{job_id}").json()["progress"]["terms_done"] > 0,
        60,
        "the first checkpoint",
    )
    return job_id


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


def test_kill_pool_child(service: Supervisord, capsys: pytest.CaptureFixture[str]) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit_and_wait_for_progress(client)
        store = JobStore(service.state)
        record = next(r for r in store.chunks(job_id).values() if r.pid and not r.finished)
        os.kill(record.pid, signal.SIGKILL)  # type: ignore[arg-type]
        killed = time.monotonic()
        wait_for(
            lambda: (store.get_chunk(job_id, record.index) or record).attempts > record.attempts,
            60,
            "the chunk to run again",
        )
        report(
            capsys,
            f"{broker(service)}: pool child kill -9 -> chunk running again",
            time.monotonic() - killed,
        )
        assert_digits(client, job_id)


def test_kill_worker_main(service: Supervisord, capsys: pytest.CaptureFixture[str]) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit_and_wait_for_progress(client)
        old = worker_pid(service)
        os.kill(old, signal.SIGKILL)
        killed = time.monotonic()
        before = terms_done(client, job_id)

        def restarted_and_progressing() -> bool:
            try:
                return worker_pid(service) != old and terms_done(client, job_id) > before
            except AssertionError:
                return False

        wait_for(restarted_and_progressing, 90, "supervisord to restart the worker", interval=0.2)
        report(
            capsys,
            f"{broker(service)}: worker main kill -9 -> restarted and checkpointing",
            time.monotonic() - killed,
        )
        assert_digits(client, job_id)


@pytest.mark.parametrize("service", ["rabbitmq"], indirect=True)
def test_restart_api_mid_job(service: Supervisord, capsys: pytest.CaptureFixture[str]) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit_and_wait_for_progress(client)
        before = terms_done(client, job_id)
        started = time.monotonic()
        assert "api: started" in service.ctl("restart", "api").stdout

        def answering() -> bool:
            try:
                return client.get(f"/tasks/{job_id}").status_code == 200
            except httpx2.TransportError:
                return False

        wait_for(answering, 60, "the API to answer again")
        report(capsys, "supervisorctl restart api -> polling again", time.monotonic() - started)
        assert terms_done(client, job_id) >= before  # nothing lost: progress lives in the store
        assert_digits(client, job_id)


@pytest.mark.parametrize("service", ["rabbitmq"], indirect=True)
def test_sigterm_supervisord_then_start_again(
    service: Supervisord, capsys: pytest.CaptureFixture[str]
) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit_and_wait_for_progress(client)
    started = time.monotonic()
    assert service.stop() == 0
    report(capsys, "SIGTERM supervisord -> warm shutdown complete", time.monotonic() - started)
    assert JobStore(service.state).get(job_id).status.value == "WAITING"  # not finished, not lost
    finish_after_restart(service, job_id, capsys, "supervisord started again")


def test_sigkill_supervisord_then_serve_again(
    service: Supervisord, capsys: pytest.CaptureFixture[str]
) -> None:
    with httpx2.Client(base_url=service.api, timeout=10) as client:
        job_id = submit_and_wait_for_progress(client)
    tree = service.tree()
    assert len(tree) >= 7  # supervisord, listener, uvicorn, beat, celery main, two pool processes
    assert service.proc is not None
    service.proc.kill()  # what the OOM killer or a CI timeout does: nothing can be cleaned up
    killed = time.monotonic()
    service.proc.wait(timeout=10)
    wait_for(lambda: not any(map(alive, tree)), 10, "every process of the instance to end")
    report(
        capsys,
        f"{broker(service)}: SIGKILL supervisord -> no process of it left",
        time.monotonic() - killed,
    )
    # The same state dir: its lock went with the killed supervisord.
    finish_after_restart(
        service, job_id, capsys, f"{broker(service)}: pichord serve again", str(PICHORD), "serve"
    )


def finish_after_restart(
    run: Supervisord, job_id: str, capsys: pytest.CaptureFixture[str], what: str, *command: str
) -> None:
    """Start ``run`` again (by ``command``); the job ends SUCCESS with mpmath's digits."""
    run.start(*command)
    with httpx2.Client(base_url=run.api, timeout=10) as client:
        restarted = time.monotonic()
        assert_digits(client, job_id)
        report(capsys, f"{what} -> job SUCCESS", time.monotonic() - restarted)


def alive(process: psutil.Process) -> bool:
    """Running: a zombie has ended and holds nothing, it only waits for a parent to reap it."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
