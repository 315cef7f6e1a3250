"""The installed `pichord` command (api/cli.py) against a running service on RabbitMQ."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.rounds import record_success
from pipeline.verify import reference_digits
from storage import JobRecord, JobStatus, JobStore
from storage.records import INLINE_DIGITS, Certificate, FinalProgress
from tests.integration.answer_dropper import AnswerDropper
from tests.integration.conftest import Processes, rabbitmq_service_env, wait_for
from tests.integration.pool_pause import paused_mid_chunk
from tests.integration.stream_cutter import StreamCutter

PICHORD = Path(sys.executable).parent / "pichord"
TOKEN = "cli-test-token"


class Cli:
    def __init__(self, url: str, state: Path, worker_pid: int = 0) -> None:
        self.url = url
        self.state = state
        self.worker_pid = worker_pid

    def __call__(self, *args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PICHORD), *args], env=self.env(token), capture_output=True, text=True, timeout=120
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """The command running in the background, for a test to act while it waits."""
        return subprocess.Popen(
            [str(PICHORD), *args],
            env=self.env(TOKEN),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def env(self, token: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PICHORD_")}
        env["PICHORD_URL"] = self.url
        if token is not None:
            env["PICHORD_TOKEN"] = token
        env["COLUMNS"] = "200"  # rich wraps tables at the terminal width
        return env


@pytest.fixture
def cli(processes: Processes, rabbitmq_url: str, tmp_path: Path) -> Iterator[Cli]:
    state, processes.env = rabbitmq_service_env(
        tmp_path, rabbitmq_url, chunk_seconds="0.5", api_token=TOKEN
    )
    worker = processes.worker("w1", concurrency=2)
    yield Cli(processes.api(), state, worker.pid)


def test_submit_and_watch_to_the_digits(cli: Cli) -> None:
    done = cli("submit", "6", "--watch", "--interval", "0.1")
    assert done.returncode == 0, done.stderr
    assert f"SUCCESS {reference_digits(6)}" in done.stdout
    assert "mpmath agrees" in done.stdout
    euler = cli("submit", "300", "--method", "leibniz-euler")
    job_id = euler.stdout.strip()
    watched = cli("watch", job_id, "--interval", "0.1")
    assert watched.returncode == 0 and reference_digits(300) in watched.stdout
    cf = cli("submit", "2000", "--method", "leibniz-cf", "--watch", "--interval", "0.1")
    assert cf.returncode == 0 and reference_digits(2000) in cf.stdout, cf.stderr
    assert "mpmath agrees" in cf.stdout
    listing = cli("list", "--status", "SUCCESS")
    assert job_id in listing.stdout and "3 jobs" in listing.stdout


def test_a_submission_whose_answer_was_lost_is_sent_again_and_made_once(cli: Cli) -> None:
    dropper = AnswerDropper(cli.url, drops=2)
    try:
        done = Cli(dropper.url, cli.state)("submit", "5")
    finally:
        dropper.close()
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.strip()
    # Three sendings of one submission, all with the same key, and one job.
    assert len(dropper.seen) == 3 and len({key for *_, key in dropper.seen}) == 1
    assert dropper.seen[0][2] is not None
    assert JobStore(cli.state).newest_first() == [job_id]


def test_watch_falls_back_to_polling_when_the_stream_breaks(cli: Cli) -> None:
    job_id = cli("submit", "10").stdout.strip()
    cutter = StreamCutter(cli.url)
    try:
        # Held mid-chunk, the job cannot end before the watch has asked for its stream,
        # however fast the kernel runs.
        with paused_mid_chunk(JobStore(cli.state), job_id, cli.worker_pid):
            watch = Cli(cutter.url, cli.state).start("watch", job_id, "--interval", "0.1")
            wait_for(
                lambda: any(path.endswith("/events") for _, path in cutter.seen),
                60,
                "the watch to ask for the job's event stream",
            )
        stdout, stderr = watch.communicate(timeout=120)
    finally:
        cutter.close()
    assert watch.returncode == 0 and f"SUCCESS {reference_digits(10)}" in stdout, stderr
    paths = [path for _, path in cutter.seen]
    streams = [n for n, path in enumerate(paths) if path.endswith("/events")]
    # The stream was asked for once, and polls took over when it was cut.
    assert streams == [paths.index(f"/tasks/{job_id}/events")]
    assert paths[streams[0] + 1 :].count(f"/tasks/{job_id}") >= 1


def test_cancel_and_failure_exit_non_zero(cli: Cli) -> None:
    job_id = cli("submit", "11").stdout.strip()
    cancelled = cli("cancel", job_id)
    assert cancelled.returncode == 0 and f"{job_id} REVOKED" in cancelled.stdout
    assert cli("watch", job_id).returncode == 2
    # A job that failed (its record says so) makes `watch` fail with the reason.
    store = JobStore(cli.state)
    store.update(
        job_id,
        lambda job: JobRecord.model_validate(
            {**job.model_dump(), "status": JobStatus.FAILURE, "error": "chunk 3 raised"}
        ),
    )
    failed = cli("watch", job_id)
    assert failed.returncode == 1 and "chunk 3 raised" in failed.stderr


def test_watch_prints_digits_the_task_leaves_out(cli: Cli) -> None:
    # Written through the service's store: a job of more digits than a task's JSON carries.
    digits = INLINE_DIGITS + 1
    job = JobRecord(
        id=str(uuid.uuid4()), method="leibniz-cf", digits=digits, terms_total=1, chunks=[]
    )
    store = JobStore(cli.state)
    store.create(job)
    certificate = Certificate(terms=1, lower="3.1", upper="3.2", rounds=1)
    final = FinalProgress(
        starttime=None, percent=100, terms_done=1, terms_total=1, chunks_done=1, chunks_total=1
    )
    record_success(store, job, reference_digits(digits), certificate, final)
    watched = cli("watch", job.id)
    assert watched.returncode == 0, watched.stderr
    assert f"SUCCESS {reference_digits(digits)}" in watched.stdout


def test_host_table_and_errors_a_person_can_act_on(cli: Cli) -> None:
    table = cli("host")
    assert table.returncode == 0 and "CPU" in table.stdout and "memory" in table.stdout
    assert "disk / " in table.stdout and "GiB" in table.stdout.split("disk / ")[1]
    refused = cli("submit", "3", token=None)
    assert refused.returncode == 1 and "401" in refused.stderr and "Bearer" in refused.stderr
    # The options after the command, as people type them.
    after = cli("submit", "3", "--watch", "--url", cli.url, "--token", TOKEN, token=None)
    assert after.returncode == 0 and "SUCCESS 3.141" in after.stdout, after.stderr
    too_many = cli("submit", "12")
    assert too_many.returncode == 1 and "leibniz-euler" in too_many.stderr
    offered = cli("methods")
    assert offered.returncode == 0 and "PICHORD_EULER_MAX_DIGITS" in offered.stdout
    unknown = cli("submit", "3", "--method", "chudnovsky")
    assert unknown.returncode == 1 and "422" in unknown.stderr and "leibniz-euler" in unknown.stderr
    nowhere = subprocess.run(
        [str(PICHORD), "--url", "http://127.0.0.1:9", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert nowhere.returncode == 1 and "is the service running" in nowhere.stderr
