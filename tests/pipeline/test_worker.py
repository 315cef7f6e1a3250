"""The pool process's start: one whose worker died before it started leaves."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A worker's main process as Celery runs it: worker_init, then a fork per pool process, which
# sends worker_process_init once started. Here the main process is killed in between, the
# window Celery leaves open before it sets the pool process's parent-death signal. The pool
# process prints its pid, then "survived" if it outlives its start.
MAIN_PROCESS = """
import os, signal, sys, time
from celery.signals import worker_init, worker_process_init
import pipeline.worker

worker_init.send(sender=None)
main = os.getpid()
child = os.fork()
if child == 0:
    print(os.getpid(), flush=True)
    if KILL_MAIN:
        while os.getppid() == main:
            time.sleep(0.01)
        worker_process_init.send(sender=None)
    else:
        pipeline.worker._leave_if_orphaned()
    print("survived", flush=True)
    os._exit(0)
if KILL_MAIN:
    os.kill(main, signal.SIGKILL)
_, status = os.waitpid(child, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _start(kill_main: bool) -> subprocess.CompletedProcess[str]:
    # communicate() returns once the pool process too has closed the pipes it inherited.
    return subprocess.run(
        [sys.executable, "-c", MAIN_PROCESS.replace("KILL_MAIN", str(kill_main))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_pool_process_whose_worker_died_before_it_started_exits() -> None:
    run = _start(kill_main=True)
    assert run.returncode == -9
    pid, *rest = run.stdout.split()
    assert rest == [], run.stderr
    assert f"pool process {pid}: its worker" in run.stderr
    assert "died while starting it; exiting" in run.stderr


def test_a_pool_process_whose_worker_runs_starts() -> None:
    run = _start(kill_main=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[1:] == ["survived"]
