"""A seeded soak: a stream of mixed jobs on the whole service while its processes are killed.

Every accepted job must end in SUCCESS with mpmath's digits, and no request may get a 5xx
other than a 503 while the broker is away. The clients send an Idempotency-Key and send a
refused or broken submission again with it, so no job is stored that its client was not told.
The service runs as `make run` runs it (supervisord, two API processes on one socket, one
worker with two pool processes); the stall and limbo timers are shortened so that the
soak fits CI. After the stream no PICHORD_JOB_STALL_SECONDS + 30 s may pass without a job
finishing, until all have: a bound on what the faults cost, not on how fast this CPU clears
its backlog (the soak passed with the whole service on a quarter of this machine's CPU).
"""

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

import kombu.pools
import pytest

from tests.integration.chaos import JobMix, Plan, run
from tests.integration.conftest import Supervisord
from tests.integration.fault_injection import Fault, ServiceTree

STALL_SECONDS = 15
SOAK = Plan(
    seed=2126,
    seconds=40,
    jobs_per_second=3,
    fault_every=(1.0, 1.8),
    faults=tuple(Fault),
    pause_seconds=4,
    drain_seconds=STALL_SECONDS + 30,
    min_faults=20,
    mix=JobMix(leibniz=(1, 9), euler=(100, 2_000), cf=(1_000, 20_000)),
)


@pytest.mark.parametrize("broker", ["embedded", "rabbitmq"])
def test_every_accepted_job_succeeds_through_random_kills(
    broker: str, rabbitmq_url: str, supervisord: Supervisord, figure: Callable[[str], None]
) -> None:
    url = rabbitmq_url if broker == "rabbitmq" else None
    settings = {
        "queue": f"chaos-{supervisord.state.parent.name}",
        "worker_concurrency": "2",
        "job_stall_seconds": str(STALL_SECONDS),
        "job_stall_grace_seconds": "5",
        "watchdog_seconds": "1",
        "worker_limbo_seconds": "8",
        # Admission limits are not what this tests: every submission of the stream is taken.
        "submit_rate_limit": "",
        "max_pending_jobs": "1000",
        **({"broker_url": url} if url else {}),
    }
    supervisord.env.update({f"PICHORD_{k.upper()}": v for k, v in settings.items()})
    vhost = urlsplit(url).path.lstrip("/") if url else None
    faults = tuple(f for f in SOAK.faults if url or f is not Fault.BROKER_DROP)
    supervisord.start()
    assert supervisord.proc is not None
    try:
        outcome = run(
            replace(SOAK, faults=faults), supervisord.api, ServiceTree(supervisord.proc.pid, vhost)
        )
    finally:
        # The broker drops closed every connection to this session's vhost, the pooled ones
        # of this test process too (kombu keeps them in process-wide pools): a later test
        # here would write to a closed socket (seen: ConnectionResetError in a control call).
        kombu.pools.reset()
    figure(outcome.line(broker))
    assert outcome.unfinished == {} and outcome.wrong == {}
    assert outcome.server_errors == []
    assert len(outcome.accepted) >= 100 and sum(outcome.faults.values()) >= 20
    assert set(outcome.faults) == {f.value for f in faults}, outcome.faults
    # Every submission was answered in the end, once: no job its client does not know.
    assert outcome.unknown == []
    assert len(outcome.accepted) == outcome.requests - outcome.busy
