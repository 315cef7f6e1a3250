"""Faults struck at the processes of a running service: what the chaos soak injects.

Targets are found afresh for every fault among supervisord's children (the processes a
`make run` or a container starts), so a restarted program is the next target.
"""

import random
import signal
import subprocess
import threading
import time
from enum import StrEnum

import psutil

# supervisord counts an exit within startsecs (5 s) as a failed start and gives up after
# three in a row (FATAL); a program this young is left alone, or the soak would be testing
# a crash loop, which supervisord is meant to give up on.
MIN_TARGET_AGE = 6.0
# A pool process killed while the pool starts ends the whole worker ("Could not start worker
# processes", exit 1): a failed start for supervisord as well.
MIN_POOL_PROCESS_AGE = 2.0


class Fault(StrEnum):
    POOL_CHILD = "pool-child"
    WORKER_MAIN = "worker-main"
    API = "api"
    BROKER_DROP = "broker-drop"
    WORKER_PAUSE = "worker-pause"


class ServiceTree:
    """The processes supervisord runs, found afresh for every fault; ``vhost`` is where the
    broker's connections are dropped (RabbitMQ only)."""

    def __init__(self, supervisord_pid: int, vhost: str | None = None) -> None:
        self._supervisord = psutil.Process(supervisord_pid)
        self._vhost = vhost

    def _programs(self, needle: str) -> list[psutil.Process]:
        found = []
        for child in self._supervisord.children():
            try:
                if needle in " ".join(child.cmdline()):
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def worker_mains(self) -> list[psutil.Process]:
        return self._programs(" worker ")

    def pool_children(self) -> list[psutil.Process]:
        return [child for main in self.worker_mains() for child in _children(main)]

    def apis(self) -> list[psutil.Process]:
        return self._programs("uvicorn")

    def strike(self, fault: Fault, rng: random.Random, pause_seconds: float) -> bool:
        """Cause ``fault`` once; False if it has no target right now."""
        if fault is Fault.BROKER_DROP:
            return self._drop_broker_connections()
        if fault is Fault.WORKER_PAUSE:
            return _pause(_old_enough(self.worker_mains()), pause_seconds)
        if fault is Fault.POOL_CHILD:
            eligible = _old_enough(self.pool_children(), MIN_POOL_PROCESS_AGE)
        else:
            eligible = _old_enough(
                self.worker_mains() if fault is Fault.WORKER_MAIN else self.apis()
            )
        if not eligible:
            return False
        try:
            rng.choice(eligible).send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            return False
        return True

    def _drop_broker_connections(self) -> bool:
        if self._vhost is None:
            return False
        result = subprocess.run(
            ["rabbitmqctl", "close_all_connections", "--vhost", self._vhost, "chaos test"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        return result.returncode == 0


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children()
    except psutil.NoSuchProcess:
        return []


def _old_enough(
    processes: list[psutil.Process], age: float = MIN_TARGET_AGE
) -> list[psutil.Process]:
    now = time.time()
    found = []
    for process in processes:
        try:
            if now - process.create_time() >= age:
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def _pause(mains: list[psutil.Process], seconds: float) -> bool:
    """SIGSTOP a worker and its pool for ``seconds``, then SIGCONT (in a thread)."""
    if not mains:
        return False
    tree = [mains[0], *_children(mains[0])]
    for process in tree:
        try:
            process.send_signal(signal.SIGSTOP)
        except psutil.NoSuchProcess:
            continue

    def resume() -> None:
        time.sleep(seconds)
        for process in tree:
            try:
                process.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                continue

    threading.Thread(target=resume, name="chaos-resume", daemon=True).start()
    return True
