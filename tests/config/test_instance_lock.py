import os
from pathlib import Path

import pytest

from config.instance_lock import AlreadyRunningError, Instance, acquire, lock_path

ME = Instance(pid=111, api="http://127.0.0.1:8000", ui="http://127.0.0.1:9001")
OTHER = Instance(pid=222, api="http://127.0.0.1:8100", ui="http://127.0.0.1:9101")


def test_a_second_instance_is_told_who_runs(state_dir: Path) -> None:
    fd = acquire(state_dir, ME)
    try:
        with pytest.raises(AlreadyRunningError) as refused:
            acquire(state_dir, OTHER)
        message = str(refused.value)
        assert "pid 111" in message and "http://127.0.0.1:8000" in message
        assert str(state_dir) in message and "PICHORD_STATE_DIR" in message
    finally:
        os.close(fd)


def test_the_lock_of_a_dead_instance_is_taken_over(state_dir: Path) -> None:
    os.close(acquire(state_dir, ME))  # what the kernel does when supervisord dies
    fd = acquire(state_dir, OTHER)
    try:
        assert '"pid": 222' in lock_path(state_dir).read_text()
    finally:
        os.close(fd)


def test_an_unreadable_holder_still_refuses(state_dir: Path) -> None:
    fd = acquire(state_dir, ME)
    try:
        os.ftruncate(fd, 0)
        with pytest.raises(AlreadyRunningError, match="another pichord serve holds"):
            acquire(state_dir, OTHER)
    finally:
        os.close(fd)
