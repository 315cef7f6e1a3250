"""Small-job latency (n=3, submit -> SUCCESS) with three Celery result backends joining the
same chord, same worker settings, one run:

    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/backends.py

- ours: storage.result_backend (the header task that finishes last sends the reducer);
- Celery's Redis backend (redis://127.0.0.1:6379/14), which counts finished chord tasks in Redis;
- Celery's stock file:// backend, which joins through the chord_unlock polling task.
"""

import shutil
import statistics
import tempfile
import time

import httpx2
import redis
from service import broker_name, running_service, wait_finished

JOBS = 20
REDIS_URL = "redis://127.0.0.1:6379/14"


def latencies(client: httpx2.Client) -> tuple[list[float], list[str]]:
    wait_finished(client, client.get("/leibnic/3").json()["id"])  # warm the pool processes
    found, ids = [], []
    for _ in range(JOBS):
        start = time.perf_counter()
        job_id = client.get("/leibnic/3").json()["id"]
        body = wait_finished(client, job_id, poll=0.002)
        found.append(time.perf_counter() - start)
        ids.append(job_id)
        assert body["result"] == "3.141", body
    return found, ids


def main() -> None:
    results = tempfile.mkdtemp(prefix="pichord-stock-file-backend-")
    backends = {
        "ours (file, last task fires)": None,
        "Celery redis://": REDIS_URL,
        "Celery stock file:// (chord_unlock)": f"file://{results}",
    }
    print(f"n=3 submit -> SUCCESS, {JOBS} jobs each, broker: {broker_name()}, 1 worker x 2")
    print(f"{'result backend':<38} {'median':>8} {'min':>8} {'max':>8}")
    for name, url in backends.items():
        settings = {"result_backend": url} if url else {}
        with running_service(2, submit_rate_limit="", **settings) as (client, _):
            found, ids = latencies(client)
        ms = [1000 * s for s in found]
        print(f"{name:<38} {statistics.median(ms):6.0f} ms {min(ms):6.0f} ms {max(ms):6.0f} ms")
        if url == REDIS_URL:
            store = redis.Redis.from_url(REDIS_URL)
            for job_id in ids:
                for key in store.scan_iter(f"*{job_id}*"):
                    store.delete(key)
    shutil.rmtree(results, ignore_errors=True)


if __name__ == "__main__":
    main()
