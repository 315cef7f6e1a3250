"""Does a lone job keep every worker process computing? A lone n=11 job on one worker with
2 processes, against the kernel alone in 2 processes, measured in the same run.

    .venv/bin/python bench/saturation.py                       # embedded broker
    PICHORD_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// .venv/bin/python bench/saturation.py

The kernel figure is two processes each summing terms as a chunk does, nothing else, for
WINDOW seconds at once (wall clock). The job's figure is the terms it finished over a WINDOW
seconds window after a warm-up job and WARM_UP seconds into the run (chunk sizes measured by
then), from its progress: what is lost is everything between chunks (messages, claims,
records). Also printed: the workers' own busy share over their last 10 s (fleet heartbeat).
"""

import multiprocessing
import time

from kernel import range_sum
from service import broker_name, cpu_by_role, running_service, wait_finished

from pipeline.methods.leibniz.kernel import warm_up
from pipeline.methods.leibniz.speed import SPEED_NAME
from storage.fleet import FleetMember

PROCESSES = 2
WINDOW = 20.0
WARM_UP = 8.0
BLOCK = 2 * 10**9


def _kernel_terms(seconds: float, out: "multiprocessing.Queue[int]") -> None:
    warm_up()
    start, terms, position = time.monotonic(), 0, 10**12
    while time.monotonic() - start < seconds:
        range_sum(position, position + BLOCK)
        position += BLOCK
        terms += BLOCK
    out.put(terms)


def kernel_rate(processes: int, seconds: float) -> float:
    """Terms per second of ``processes`` kernels running at once (wall clock)."""
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[int] = context.Queue()
    workers = [context.Process(target=_kernel_terms, args=(seconds, out)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    total = sum(out.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def terms_done(body: dict[str, object]) -> int:
    return int(body["progress"]["terms_done"])  # type: ignore[index]


def job_rate() -> tuple[float, float | None]:
    with running_service(PROCESSES, submit_rate_limit="") as (client, state):
        # A first job measures the kernel's speed, from which the next job's chunks are cut.
        wait_finished(client, client.get("/leibnic/10").json()["id"], 0.2)
        job_id = client.get("/leibnic/11").json()["id"]
        time.sleep(WARM_UP)
        first, start = terms_done(client.get(f"/tasks/{job_id}").json()), time.monotonic()
        before = cpu_by_role(state)
        time.sleep(WINDOW)
        body = client.get(f"/tasks/{job_id}").json()
        elapsed = time.monotonic() - start
        after = cpu_by_role(state)
        used = {role: (after.get(role, 0.0) - before.get(role, 0.0)) / elapsed for role in after}
        print("  CPU used in the window (cores):", {k: round(v, 3) for k, v in used.items()})
        beats = [FleetMember.model_validate_json(p.read_bytes()) for p in state.glob("fleet/*")]
        client.delete(f"/tasks/{job_id}")
        share = beats[0].busy_share if beats else None
        speed = (state / "speeds" / f"{SPEED_NAME}.json").read_text()
        print(f"  measured kernel speed the chunks were cut from: {speed}")
        return (terms_done(body) - first) / elapsed, share


def main() -> None:
    print(f"lone n=11 job, one worker of {PROCESSES} processes, broker: {broker_name()}")
    kernel = kernel_rate(PROCESSES, WINDOW)
    job, share = job_rate()
    print(f"kernel alone, {PROCESSES} processes at once: {kernel / 1e9:6.1f} G terms/s")
    print(f"the job over {WINDOW:.0f} s:                  {job / 1e9:6.1f} G terms/s")
    print(f"job / kernel: {100 * job / kernel:.1f} %")
    if share is not None:
        print(f"worker busy share (10 s): {100 * share:.1f} %")


if __name__ == "__main__":
    main()
