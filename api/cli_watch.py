"""`pichord watch`: bars for a job and its chunks, redrawn on the job's server-sent events."""

import contextlib
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from api.cli_client import ApiClient, StreamBrokenError

# Chunk bars drawn at most; a job has up to thousands of chunks.
MAX_CHUNK_BARS = 16
FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


def follow(client: ApiClient, job_id: str, interval: float, console: Console) -> dict[str, Any]:
    """Bars for the job and its chunks, redrawn on each of the job's events; polled every
    ``interval`` seconds instead when the event stream cannot be had or breaks off."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=30),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=console, transient=False) as bars:
        view = JobBars(bars, job_id)
        for _ in _moments_to_look(client, job_id, interval):
            task = view.show(client)
            if task["status"] in FINISHED:
                return task
    raise AssertionError("unreachable: the moments to look never run out")


def _moments_to_look(client: ApiClient, job_id: str, interval: float) -> Iterator[None]:
    """Now, then at each of the job's events, then (once the stream cannot be had or breaks
    off) every ``interval`` seconds."""
    yield
    with contextlib.suppress(StreamBrokenError):
        for _ in client.events(job_id):
            yield
    while True:
        client.sleep(interval)
        yield


class JobBars:
    def __init__(self, bars: Progress, job_id: str) -> None:
        self.bars = bars
        self.job_id = job_id
        self.overall = bars.add_task(f"job {job_id[:8]}", total=100, note="")
        self.chunk_bars: dict[int, TaskID] = {}

    def show(self, client: ApiClient) -> dict[str, Any]:
        """Read the job and its chunks and draw them; the job as read."""
        task = client.task(self.job_id)
        progress = task.get("progress") or {}
        result = task.get("result")
        running: dict[str, Any] = result if isinstance(result, dict) else {}
        self.bars.update(
            self.overall,
            completed=progress.get("percent", 0.0),
            note=f"{task['status']} {running.get('intermediate') or ''}".strip(),
        )
        for chunk in client.chunks(self.job_id)[:MAX_CHUNK_BARS]:
            index = chunk["index"]
            if index not in self.chunk_bars:
                label = f"  {chunk.get('kind', 'series')} {index}"
                self.chunk_bars[index] = self.bars.add_task(
                    label, total=max(1, chunk["stop"] - chunk["start"]), note=""
                )
            self.bars.update(
                self.chunk_bars[index],
                completed=chunk["terms_done"],
                note=f"{chunk['status']} {chunk.get('worker') or ''}".strip(),
            )
        return task
