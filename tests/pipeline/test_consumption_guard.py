"""When an idle worker beside a full queue counts as no longer consuming (the real case:
tests/integration/test_stuck_workers.py)."""

from pipeline.consumption_guard import IdleWatch
from pipeline.limbo_guard import CHECKS_IN_A_ROW


def test_messages_waiting_past_the_limit_beside_an_idle_worker_is_stuck() -> None:
    watch = IdleWatch(limit=20)
    for now in (0, 10, 19.9):
        assert not watch.stuck(holding=False, queued=True, now=now)
    assert watch.stuck(holding=False, queued=True, now=20)


def test_holding_a_task_or_an_empty_queue_starts_the_clock_again() -> None:
    watch = IdleWatch(limit=20)
    watch.stuck(holding=False, queued=True, now=0)
    assert not watch.stuck(holding=True, queued=True, now=15)
    assert not watch.stuck(holding=False, queued=True, now=25)
    assert not watch.stuck(holding=False, queued=False, now=40)
    assert not watch.stuck(holding=False, queued=True, now=41)


def test_one_late_check_is_not_enough() -> None:
    watch = IdleWatch(limit=20)
    watch.stuck(holding=False, queued=True, now=0)
    assert not watch.stuck(holding=False, queued=True, now=60)
    assert watch.stuck(holding=False, queued=True, now=60 + CHECKS_IN_A_ROW)
