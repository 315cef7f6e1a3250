"""Scaling of one n=10 job (10^11 terms) on RabbitMQ: 1 worker process vs 2.

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/scaling.py

Three runs each, after a warm-up job; the job's own time (pushqtime -> stoptime), speedup
and efficiency from the medians.
"""

import statistics

from service import POLL_SECONDS, broker_name, running_service, server_seconds, wait_finished

RUNS = 3


def main() -> None:
    medians = {}
    print(f"n=10 submit -> SUCCESS, broker: {broker_name()}")
    print(f"{'processes':>9} {'median':>8} {'min':>8} {'max':>8}  {'G terms/s':>9}")
    for processes in (1, 2):
        with running_service(processes, submit_rate_limit="") as (client, _):
            wait_finished(client, client.get("/leibnic/5").json()["id"])
            times, terms = [], 0
            for _ in range(RUNS):
                job_id = client.get("/leibnic/10").json()["id"]
                body = wait_finished(client, job_id, POLL_SECONDS)
                times.append(server_seconds(body))
                assert body["result"] == "3.1415926535", body
                terms = body["progress"]["terms_total"]  # type: ignore[index]
        median = statistics.median(times)
        medians[processes] = median
        print(
            f"{processes:>9} {median:7.2f} s {min(times):7.2f} s {max(times):7.2f} s"
            f"  {terms / median / 1e9:9.2f}"
        )
    speedup = medians[1] / medians[2]
    print(f"speedup 1 -> 2 processes: {speedup:.2f}x, efficiency {100 * speedup / 2:.0f}%")


if __name__ == "__main__":
    main()
