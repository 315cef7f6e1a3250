"""Random kills under a stream of mixed jobs, on the service as `make run` starts it.

    .venv/bin/python bench/chaos.py                          # embedded broker, 120 s
    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/v .venv/bin/python bench/chaos.py

About one job a second (leibniz 1-10, leibniz-euler 100-5,000, leibniz-cf 1,000-100,000) while,
every 4-9 s, one fault strikes: a pool child, the worker main or an API process SIGKILLed,
the worker paused for 30 s, or (RabbitMQ) every broker connection of the vhost closed. Then
it waits PICHORD_JOB_STALL_SECONDS + 30 s for every accepted job and prints one line. All
settings are the defaults unless the environment sets them.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from config import Settings  # noqa: E402
from tests.integration.chaos import Plan, run  # noqa: E402
from tests.integration.conftest import Supervisord, free_port  # noqa: E402
from tests.integration.fault_injection import Fault, ServiceTree  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs-per-second", type=float, default=1.0)
    parser.add_argument("--pause-seconds", type=float, default=30.0)
    parser.add_argument(
        "--faults", default=",".join(f.value for f in Fault), help="comma-separated kinds"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pichord-chaos-"))
    service = Supervisord(
        env={**os.environ, "PICHORD_STATE_DIR": str(folder / "state")},
        state=folder / "state",
        log=folder / "service.log",
        api_port=free_port(),
        ui_port=free_port(),
    )
    service.env.update(
        PICHORD_API_PORT=str(service.api_port),
        PICHORD_SUPERVISOR_PORT=str(service.ui_port),
        PICHORD_QUEUE=f"chaos-{service.api_port}",
    )
    broker = os.environ.get("PICHORD_BROKER_URL")
    vhost = urlsplit(broker).path.lstrip("/") or "/" if broker else None
    faults = tuple(Fault(kind) for kind in args.faults.split(","))
    if broker is None:
        faults = tuple(f for f in faults if f is not Fault.BROKER_DROP)
    stall = Settings(state_dir=service.state).job_stall_seconds
    plan = Plan(
        seed=args.seed,
        seconds=args.seconds,
        jobs_per_second=args.jobs_per_second,
        fault_every=(4.0, 9.0),
        faults=faults,
        pause_seconds=args.pause_seconds,
        drain_seconds=stall + 30,
    )
    service.start()
    try:
        assert service.proc is not None
        outcome = run(plan, service.api, ServiceTree(service.proc.pid, vhost))
    finally:
        service.stop()
    print(outcome.line("RabbitMQ" if broker else "embedded"))
    for job_id, status in outcome.unfinished.items():
        print(f"  unfinished {job_id}: {status}")
    for job_id, why in outcome.wrong.items():
        print(f"  wrong {job_id}: {why}")
    for job_id in outcome.unknown:
        print(f"  stored, but its client never got its id: {job_id}")
    print(f"  state dir {service.state}")


if __name__ == "__main__":
    main()
