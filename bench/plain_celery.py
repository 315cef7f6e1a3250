"""The anchor of bench/throughput.py: the same shape of job on plain Celery, a chord of one
task and a reducer, with no HTTP, no job store and no certificate. Its worker is started by
the bench (``celery -A plain_worker worker``, its app made from PLAIN_BROKER, PLAIN_BACKEND
and PLAIN_QUEUE); the sender makes an app of its own with ``make_app``."""

from celery import Celery

REDIS = "redis://127.0.0.1:6379/14"


def make_app(broker: str, backend: str, queue: str) -> Celery:
    app = Celery("plain", broker=broker, backend=backend)
    app.conf.update(
        task_default_queue=queue,
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name="plain.part", shared=False)
    def part(n: int) -> float:
        # The first term of the series: a job as small as pichord's n=1.
        return 4.0 / (2 * n + 1)

    @app.task(name="plain.total", shared=False)
    def total(parts: list[float]) -> float:
        return sum(parts)

    return app
