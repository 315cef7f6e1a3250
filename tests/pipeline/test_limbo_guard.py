"""When a reserved task that never started counts as stuck (the real case: test_chaos.py)."""

from pipeline.limbo_guard import CHECKS_IN_A_ROW, LimboWatch


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
