"""When a reserved task that never started counts as stuck (the real case: test_chaos.py)."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from celery.worker import state as worker_state

from pipeline import limbo_guard
from pipeline.limbo_guard import CHECKS_IN_A_ROW, LimboGuard, LimboWatch


def test_a_task_waiting_past_the_limit_while_a_process_is_free_is_stuck() -> None:
    watch = LimboWatch(limit=20)
    for now in (0, 10, 19.9):
        assert watch.stuck({"a"}, pool_free=True, now=now) == set()
    assert watch.stuck({"a"}, pool_free=True, now=20) == {"a"}


def test_a_task_that_started_is_forgotten() -> None:
    watch = LimboWatch(limit=20)
    watch.stuck({"a", "b"}, pool_free=True, now=0)
    watch.stuck({"b"}, pool_free=True, now=10)
    # "a" comes back (a redelivery of the same id): its wait starts again.
    assert watch.stuck({"a", "b"}, pool_free=True, now=25) == {"b"}
    assert watch.stuck({"a"}, pool_free=True, now=44) == set()


def test_waiting_while_every_process_is_busy_is_normal_and_resets_the_clock() -> None:
    watch = LimboWatch(limit=20)
    watch.stuck({"a"}, pool_free=True, now=0)
    assert watch.stuck({"a"}, pool_free=False, now=30) == set()
    assert watch.stuck({"a"}, pool_free=True, now=31) == set()


def test_one_late_check_is_not_enough() -> None:
    # A worker stopped (SIGSTOP) for a minute: its first check after SIGCONT sees an old wait
    # that its loop has had no chance to hand out yet.
    watch = LimboWatch(limit=20)
    assert watch.stuck({"a"}, pool_free=True, now=0) == set()
    for check in range(1, CHECKS_IN_A_ROW - 1):
        assert watch.stuck({"a"}, pool_free=True, now=60 + check) == set()
    assert watch.stuck({"a"}, pool_free=True, now=61 + CHECKS_IN_A_ROW) == {"a"}


@dataclass(eq=False)
class FakeRequest:
    """What the guard reads of a Celery request."""

    id: str
    acknowledged: bool = False


@dataclass
class FakePool:
    num_processes: int


@dataclass
class FakeConsumer:
    pool: FakePool


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LimboGuard, list[str]]]:
    """A guard over this process's Celery worker state, whose restart is recorded instead."""
    restarts: list[str] = []
    monkeypatch.setattr(limbo_guard, "restart", restarts.append)
    guard = LimboGuard.__new__(LimboGuard)
    guard.watch = LimboWatch(limit=0)
    try:
        yield guard, restarts
    finally:
        worker_state.reserved_requests.clear()
        worker_state.active_requests.clear()


def held(*requests: FakeRequest, active: tuple[FakeRequest, ...] = ()) -> None:
    worker_state.reserved_requests.update([*requests, *active])
    worker_state.active_requests.update(active)


def check_in_a_row(guard: LimboGuard, consumer: FakeConsumer) -> None:
    for _ in range(CHECKS_IN_A_ROW):
        guard.check(consumer)


def test_a_reserved_task_a_free_pool_never_started_restarts_the_worker(
    worker: tuple[LimboGuard, list[str]],
) -> None:
    guard, restarts = worker
    stuck, running = FakeRequest("stuck"), FakeRequest("running")
    held(stuck, active=(running,))
    check_in_a_row(guard, FakeConsumer(FakePool(num_processes=2)))
    assert len(restarts) == 1 and "stuck" in restarts[0] and "running" not in restarts[0]


def test_a_busy_pool_or_an_acknowledged_task_restarts_nothing(
    worker: tuple[LimboGuard, list[str]],
) -> None:
    guard, restarts = worker
    # Kept here: the worker's state holds its requests weakly.
    waiting, acked = FakeRequest("waiting"), FakeRequest("acked", acknowledged=True)
    running, other = FakeRequest("running"), FakeRequest("other")
    held(waiting, active=(running, other))
    check_in_a_row(guard, FakeConsumer(FakePool(num_processes=2)))
    worker_state.reserved_requests.clear()
    worker_state.active_requests.clear()
    held(acked, active=(running,))
    check_in_a_row(guard, FakeConsumer(FakePool(num_processes=2)))
    assert restarts == []
