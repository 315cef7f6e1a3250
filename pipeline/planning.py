"""How many terms a request needs, and how they are cut into chunks."""

import itertools
import math
from dataclasses import dataclass

import mpmath

# Over-provision the estimate so float error and rounding of N never force a second round.
_TERMS_MARGIN = 1.02
_TERMS_EXTRA = 16
# A job that must be extended grows by this factor per round.
EXTENSION_FACTOR = 1.5


def _even_ceil(value: float) -> int:
    n = math.ceil(value)
    return n + (n % 2)


def terms_needed(digits: int) -> int:
    """Terms N (even) after which the Leibniz bracket fixes ``digits`` truncated decimals.

    The bracket around pi has half-width about 1/N, so N must exceed 1/d, d being pi's
    distance to the nearest truncation boundary. This estimate only guides the plan; the
    certificate is computed from the sums themselves.
    """
    if digits < 0:
        raise ValueError(f"digits must be non-negative, got {digits}")
    with mpmath.workdps(digits + 30):
        scaled = mpmath.pi * mpmath.mpf(10) ** digits
        fraction = scaled - mpmath.floor(scaled)
        distance = min(fraction, 1 - fraction) / mpmath.mpf(10) ** digits
        return _even_ceil(float(_TERMS_MARGIN / distance)) + _TERMS_EXTRA


def extended_terms(terms: int) -> int:
    return _even_ceil(terms * EXTENSION_FACTOR)


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
