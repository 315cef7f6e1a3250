"""The exec wrapper under real processes: a parent killed with SIGKILL takes its program along."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

import config.die_with_parent
from config.die_with_parent import PARENT_PID_VARIABLE

WRAPPER = Path(config.die_with_parent.__file__)
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]

# Stands in for supervisord: starts the wrapped sleeper, prints its pid, waits to be killed.
PARENT = f"""
import os, subprocess, sys, time
env = dict(os.environ, {PARENT_PID_VARIABLE}=str(os.getpid()))
child = subprocess.Popen([sys.executable, {str(WRAPPER)!r}, *{SLEEPER!r}], env=env)
print(child.pid, flush=True)
time.sleep(120)
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_program_dies_with_its_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        # exec'ed in place: the pid supervisord knows is the program's own.
        deadline = time.monotonic() + 30
        while psutil.Process(child).cmdline() != SLEEPER:
            assert time.monotonic() < deadline, psutil.Process(child).cmdline()
            time.sleep(0.02)
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while not gone(child):
            assert time.monotonic() < deadline, "the program outlived its parent"
            time.sleep(0.02)
    finally:
        if not gone(child):
            os.kill(child, signal.SIGKILL)
        parent.stdout.close()


def run_wrapped(parent_pid: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PARENT_PID_VARIABLE: parent_pid}
    command = [sys.executable, str(WRAPPER), *SLEEPER]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


def test_a_parent_already_gone_is_not_outlived() -> None:
    # As if supervisord had died between its fork and the prctl: the parent is another one.
    result = run_wrapped(str(os.getpid() + 1_000_000))
    assert result.returncode == 1
    assert f"not starting {sys.executable!r}: its parent (pid" in result.stderr
    assert "is already gone" in result.stderr


def test_a_bad_parent_pid_is_named() -> None:
    result = run_wrapped("supervisord")
    assert result.returncode == 1
    assert "PICHORD_SUPERVISORD_PID='supervisord' is not a pid" in result.stderr
