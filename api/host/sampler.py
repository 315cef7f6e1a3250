"""Background CPU sampling, so every request is answered at once from a real window.

psutil's ``cpu_percent(interval=None)`` measures since the previous call in the same thread
(its first call returns a meaningless 0.0), ``interval=1`` blocks for a second, and
``cpu_times_percent`` scales by ``max(1, seconds)``, which is wrong for windows under a
second. So one sampler per API process reads the raw CPU times and turns the difference
between two readings into percentages itself.
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psutil

# The first window, taken before the app serves, is short so startup stays quick.
_PRIME_SECONDS = 0.25
# On Linux guest time is also counted in user time (psutil does the same subtraction).
_COUNTED_TWICE = ("guest", "guest_nice")
_NOT_BUSY = ("idle", "iowait")


@dataclass(frozen=True)
class CpuSample:
    taken_at: datetime
    window_seconds: float
    percent: float
    per_cpu: list[float]
    times_percent: dict[str, float]
    times_percent_per_cpu: list[dict[str, float]]


def _split(before: Any, after: Any) -> dict[str, float]:
    """Percent of the window each CPU time field took."""
    delta = {f: max(0.0, getattr(after, f) - getattr(before, f)) for f in after._fields}
    elapsed = sum(v for f, v in delta.items() if f not in _COUNTED_TWICE)
    if elapsed <= 0:
        return dict.fromkeys(delta, 0.0)
    return {f: round(100.0 * v / elapsed, 2) for f, v in delta.items()}


def _busy(split: dict[str, float]) -> float:
    idle = sum(split.get(f, 0.0) for f in _NOT_BUSY)
    return round(min(100.0, max(0.0, 100.0 - idle)), 2)


def cpu_sample(before: list[Any], after: list[Any], window: float) -> CpuSample:
    """Percentages over the window between two ``psutil.cpu_times(percpu=True)`` readings."""
    per_cpu = [_split(b, a) for b, a in zip(before, after, strict=True)]
    totals = {f: round(sum(c[f] for c in per_cpu) / len(per_cpu), 2) for f in per_cpu[0]}
    busy = [_busy(c) for c in per_cpu]
    return CpuSample(
        taken_at=datetime.now(UTC),
        window_seconds=round(window, 3),
        percent=round(sum(busy) / len(busy), 2),
        per_cpu=busy,
        times_percent=totals,
        times_percent_per_cpu=per_cpu,
    )


class CpuSampler:
    def __init__(self, period: float) -> None:
        self._period = period
        self._lock = threading.Lock()
        self._latest: CpuSample | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def start(self) -> None:
        """Start sampling; returns once a first (short) sample exists, so the first request
        is already meaningful."""
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the CPU sampler did not take its first sample")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def latest(self) -> CpuSample:
        with self._lock:
            if self._latest is None:
                raise RuntimeError("the CPU sampler has not been started")
            return self._latest

    def _run(self) -> None:
        before = psutil.cpu_times(percpu=True)
        last = time.monotonic()
        wait = min(_PRIME_SECONDS, self._period)
        while not self._stop.wait(wait):
            after = psutil.cpu_times(percpu=True)
            now = time.monotonic()
            sample = cpu_sample(before, after, now - last)
            before, last = after, now
            with self._lock:
                self._latest = sample
            self._ready.set()
            wait = self._period
