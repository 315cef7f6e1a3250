"""The submissions' circuit breaker, on a clock the test moves."""

import pytest

from api.broker_health import BrokerDownError, BrokerHealth
from pipeline.jobs import BrokerUnreachableError, JobNotSentError, TooManyPendingJobsError

BROKER = "amqp://guest:**@broker:5672//"
CHECK = "check that the broker is running"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def health(clock: Clock) -> BrokerHealth:
    return BrokerHealth(BROKER, CHECK, cooldown=2.0, clock=clock)


def unreachable() -> BrokerUnreachableError:
    return BrokerUnreachableError(BROKER, 0.3, ConnectionRefusedError("Connection refused"))


def fail(health: BrokerHealth, error: Exception) -> BrokerDownError:
    with pytest.raises(BrokerDownError) as refused, health.attempt():
        raise error
    return refused.value


def refused_at_once(health: BrokerHealth) -> BrokerDownError:
    entered = False
    with pytest.raises(BrokerDownError) as refused, health.attempt():
        entered = True
    assert not entered, "a refused submission must not try the broker"
    return refused.value


def test_a_broker_failure_is_a_503_naming_the_broker_and_what_to_check(
    health: BrokerHealth,
) -> None:
    error = fail(health, unreachable())
    assert error.retry_after == 2
    assert str(error).startswith(f"the broker at {BROKER} did not accept a connection")
    assert "no job was stored" in str(error) and "Retry in 2 s" in str(error)
    assert str(error).endswith(CHECK)


def test_after_a_failure_submissions_are_refused_at_once_until_the_cooldown_ends(
    health: BrokerHealth, clock: Clock
) -> None:
    fail(health, unreachable())
    clock.now += 0.5
    refused = refused_at_once(health)
    assert refused.retry_after == 2  # 1.5 s left, rounded up
    assert "failed a submission 0.5 s ago (Connection refused)" in str(refused)
    assert "no job was stored" in str(refused) and CHECK in str(refused)
    clock.now += 1.0
    assert refused_at_once(health).retry_after == 1


def test_one_probe_after_the_cooldown_and_the_broker_is_back(
    health: BrokerHealth, clock: Clock
) -> None:
    fail(health, unreachable())
    clock.now += 2.0
    with health.attempt():
        # While the probe waits on the broker, the others are still refused, briefly.
        assert refused_at_once(health).retry_after == 1
    for _ in range(3):
        with health.attempt():
            pass


def test_a_failed_probe_starts_a_new_cooldown(health: BrokerHealth, clock: Clock) -> None:
    fail(health, unreachable())
    clock.now += 2.5
    sent = JobNotSentError(BROKER, "job-1", TimeoutError("timed out"))
    assert "did not take job job-1 (timed out); the job was marked FAILURE" in str(
        fail(health, sent)
    )
    clock.now += 1.9
    assert "failed a submission 1.9 s ago (timed out)" in str(refused_at_once(health))
    clock.now += 0.1
    with health.attempt():
        pass


def test_a_probe_ended_by_something_else_leaves_the_next_submission_to_probe(
    health: BrokerHealth, clock: Clock
) -> None:
    fail(health, unreachable())
    clock.now += 3.0
    with pytest.raises(TooManyPendingJobsError), health.attempt():
        raise TooManyPendingJobsError(32, 32)
    with health.attempt():
        pass
