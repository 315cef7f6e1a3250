"""How a range of terms is cut into chunks: sized to a few seconds of work, in whole waves
of the worker processes."""

import itertools
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ChunkPlanner:
    """Sizes chunks to ``chunk_terms`` (about one chunk_seconds of work on one core)."""

    chunk_terms: int
    parallelism: int
    max_chunks: int = 2048

    def split(self, start: int, stop: int) -> list[tuple[int, int]]:
        """Cut terms [start, stop) into chunks with even ends that cover each term once.

        At least one chunk per worker process once a share is still worth a task (an eighth
        of a full chunk), a multiple of the processes beyond that, one chunk when the range is
        tiny, never more than ``max_chunks``.
        """
        if start % 2 or stop % 2 or stop <= start:
            raise ValueError(f"cannot split term range [{start}, {stop})")
        pairs = (stop - start) // 2
        count = math.ceil(2 * pairs / self.chunk_terms)
        worthwhile = (2 * pairs) // max(2, self.chunk_terms // 8)
        count = max(count, min(self.parallelism, worthwhile), 1)
        if count > self.parallelism:
            # Whole waves: with a multiple of the processes the last chunks end together,
            # instead of one process finishing alone (25 chunks on 2 processes: 1.92x at most).
            count = math.ceil(count / self.parallelism) * self.parallelism
        count = min(count, pairs, self.max_chunks)
        bounds = [start + 2 * (pairs * i // count) for i in range(count + 1)]
        return list(itertools.pairwise(bounds))
