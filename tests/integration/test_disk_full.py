"""The state dir fills up while chunks checkpoint: they retry, nothing lies, the job ends well.

The state dir lives on a small tmpfs of its own (mounting needs root, as on the CI machine);
filling it makes every write fail with ENOSPC, the real error.
"""

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from pipeline.verify import reference_digits
from storage import JobStore
from tests.integration.conftest import Processes, poll_until_finished, service_env, wait_for
from tests.integration.kernel_speed import chunk_settings
from tests.integration.pool_pause import paused_mid_chunk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(bytes(65536))
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_chunks_retry_while_the_disk_is_full_and_the_job_ends_right(
    small_disk: Path, processes: Processes, rabbitmq_url: str, tmp_path: Path
) -> None:
    state = small_disk / "state"
    processes.env = service_env(
        state,
        rabbitmq_url,
        queue=f"q-{tmp_path.name}",
        disk_full_retry_seconds="0.5",
        **chunk_settings(1e10, seconds=0.5),
    )
    worker = processes.worker("w1", concurrency=2)
    with httpx2.Client(base_url=processes.api(), timeout=10) as client:
        job_id = client.get("/leibnic/10").json()["id"]
        # The disk fills while the job is held mid-chunk, so it fills mid-job whatever the
        # kernel's speed; the held chunks meet it once they go on.
        with paused_mid_chunk(JobStore(state), job_id, worker.pid):
            filler = fill(small_disk)
            when_full = client.get(f"/tasks/{job_id}").json()
        log = tmp_path / "logs" / "worker-w1.log"
        wait_for(
            lambda: b"No space left on device" in log.read_bytes(),
            30,
            "a chunk to meet the full disk",
        )
        during = client.get(f"/tasks/{job_id}").json()
        assert during["status"] == "PROGRESS"
        # Nothing can be saved while the disk is full, so the progress shown stands still.
        assert during["progress"] == when_full["progress"]
        filler.unlink()
        final = poll_until_finished(client, job_id, timeout=180)[-1]
    assert final["status"] == "SUCCESS" and final["result"] == reference_digits(10)
    assert "Retry in" in (tmp_path / "logs" / "worker-w1.log").read_text()
