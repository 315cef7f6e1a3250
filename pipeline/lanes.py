"""A job's chunks as a few lanes: the bounded window of messages one job keeps queued.

Sending every chunk of a job at once puts a big job's thousands of messages ahead of every
later job, and a cancelled job leaves them for the workers to drain. Instead a dispatch
sends one message per lane, at most ``lanes`` of them, and a lane that has finished a chunk
replaces itself (``Task.replace``) with its next chunk, published at the back of the queue.
Jobs in the queue therefore take turns chunk by chunk, each with the same number of lanes
however many chunks it has, and no job ever has more than ``lanes`` messages in the broker.

Lane ``l`` of a dispatch takes the chunks whose index is ``l`` modulo ``step`` in order, up
to ``stop``; chunks already finished (a dispatch sent again after a stall) are skipped.
"""

from dataclasses import dataclass

from storage import ChunkRecord, ChunkSpec, JobRecord, JobStore


@dataclass(frozen=True)
class Lane:
    """Where a lane goes after a chunk: every ``step``-th index below ``stop``. Carried in
    the chunk message as two keyword arguments; 0 for both (messages from before lanes)
    means the chunk is its lane's last."""

    step: int = 0
    stop: int = 0

    def following(self, index: int) -> range:
        if self.step <= 0:
            return range(0)
        return range(index + self.step, self.stop, self.step)

    def as_kwargs(self) -> dict[str, int]:
        return {"lane_step": self.step, "lane_stop": self.stop}


def lane_heads(specs: list[ChunkSpec], lanes: int) -> tuple[list[ChunkSpec], Lane]:
    """The first chunk of each lane over ``specs``, and the lane rule they share.

    ``specs`` need not be contiguous: a lane with no chunk among them gets no message, and
    a lane skips the indices in its stride that are not among them only if those chunks are
    finished by then (the task checks), which holds for every dispatch the pipeline makes.
    """
    if lanes < 1:
        raise ValueError(f"a job needs at least one lane, got {lanes}")
    if not specs:
        return [], Lane()
    ordered = sorted(specs, key=lambda spec: spec.index)
    step = min(lanes, len(ordered))
    first: dict[int, ChunkSpec] = {}
    for spec in ordered:
        first.setdefault(spec.index % step, spec)
    heads = sorted(first.values(), key=lambda spec: spec.index)
    return heads, Lane(step=step, stop=ordered[-1].index + 1)


def next_in_lane(
    store: JobStore, job: JobRecord, index: int, lane: Lane
) -> tuple[ChunkSpec, ChunkRecord | None] | None:
    """The lane's next chunk after ``index`` that has not finished, with its progress record
    if it has one; None at the lane's end."""
    specs = {spec.index: spec for spec in job.chunks}
    for following in lane.following(index):
        spec = specs.get(following)
        if spec is None:
            continue
        record = store.get_chunk(job.id, following)
        if record is None or not record.finished:
            return spec, record
    return None
