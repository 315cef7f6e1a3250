"""What a running job shows, whatever its method: its progress counts, the longest computed
prefix of its series, and pi's bracket along that prefix."""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from storage import ChunkRecord, ChunkSpec
from storage.records import ChunkKind


@dataclass(frozen=True)
class ProgressCounts:
    """How far a job's current round is: ``percent`` unrounded, before the API's floor and
    ceiling; terms and chunks as the method counts them."""

    percent: float
    terms_done: int
    terms_total: int
    chunks_done: int
    chunks_total: int


@dataclass(frozen=True)
class ChunkTally:
    """Planned chunks as their records stand, per kind: how many there are and have finished,
    and the terms (or depths) planned and done."""

    chunks: Counter[ChunkKind] = field(default_factory=Counter)
    finished: Counter[ChunkKind] = field(default_factory=Counter)
    planned: Counter[ChunkKind] = field(default_factory=Counter)
    done: Counter[ChunkKind] = field(default_factory=Counter)

    @property
    def chunks_done(self) -> int:
        return sum(self.finished.values())

    @property
    def chunks_total(self) -> int:
        return sum(self.chunks.values())

    def share_done(self, kind: ChunkKind) -> float:
        """The part of ``kind``'s work done; all or nothing for chunks of no terms."""
        if self.planned[kind]:
            return self.done[kind] / self.planned[kind]
        return float(self.finished[kind] == self.chunks[kind])


def first_start(chunks: dict[int, ChunkRecord]) -> datetime | None:
    """When the first of these chunks began (None before any has)."""
    return min((r.starttime for r in chunks.values() if r.starttime is not None), default=None)


def tally(specs: list[ChunkSpec], chunks: dict[int, ChunkRecord]) -> ChunkTally:
    counted = ChunkTally()
    for spec in specs:
        record = chunks.get(spec.index)
        counted.chunks[spec.kind] += 1
        counted.planned[spec.kind] += spec.terms
        if record is not None:
            counted.finished[spec.kind] += record.finished
            counted.done[spec.kind] += min(record.terms_done, spec.terms)
    return counted


@dataclass(frozen=True)
class BracketPoint:
    """After ``terms`` (a depth, for a method whose axis is the depth), pi lies in
    (lower, upper), a bracket 10^width_log10 wide. The ends are left out where floats cannot
    hold them apart: the width is what a plot draws."""

    terms: int
    lower: float | None
    upper: float | None
    width_log10: float


def series_prefix(specs: list[ChunkSpec], chunks: dict[int, ChunkRecord]) -> list[ChunkRecord]:
    """Records of the series chunks among ``specs`` from term 0 on, in order: every finished
    one, then the first unfinished one if it has checkpointed; they cover terms [0, N')
    without a gap."""
    found = []
    for spec in sorted((s for s in specs if s.kind is ChunkKind.SERIES), key=lambda s: s.start):
        record = chunks.get(spec.index)
        if record is None or record.terms_done == 0:
            break
        found.append(record)
        if not record.finished:
            break
    return found


def prefix_brackets(prefix: list[ChunkRecord], sums: Iterable[Fraction]) -> list[BracketPoint]:
    """The plain series' bracket (S_N, S_N + 4/(2N+1)) at the end of each record of
    ``prefix``, given S over each record's terms (N is even at every chunk boundary)."""
    points = []
    total = Fraction(0)
    terms = 0
    for record, value in zip(prefix, sums, strict=True):
        total += value
        terms += record.terms_done
        width = Fraction(4, 2 * terms + 1)
        points.append(
            BracketPoint(
                terms=terms,
                lower=float(total),
                upper=float(total + width),
                width_log10=math.log10(width),
            )
        )
    return points
